package world

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
)

// outFile is one file being written: buffered, optionally gzipped, counted.
type outFile struct {
	path    string // relative to Config.Out
	kind    string
	f       *os.File
	gz      *gzip.Writer
	bw      *bufio.Writer
	n       countWriter
	rows    int64
	discard bool
}

type countWriter struct {
	w     io.Writer
	bytes int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.bytes += int64(n)
	return n, err
}

// create opens dir/rel for writing. gzip compresses at the fastest level:
// the event files are large and compression is on the hot path.
func create(dir, rel, kind string, gz bool, discard bool) (*outFile, error) {
	o := &outFile{path: rel, kind: kind, discard: discard}
	var w io.Writer = io.Discard
	if !discard {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		o.f, w = f, f
	}
	o.n.w = w
	w = &o.n
	if gz {
		o.gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed) // a valid level: no error
		w = o.gz
	}
	o.bw = bufio.NewWriterSize(w, 256<<10)
	return o, nil
}

func (o *outFile) Write(p []byte) (int, error) { return o.bw.Write(p) }

// close flushes everything and reports the file.
func (o *outFile) close() (File, error) {
	err := o.bw.Flush()
	if o.gz != nil {
		if e := o.gz.Close(); err == nil {
			err = e
		}
	}
	if o.f != nil {
		if e := o.f.Close(); err == nil {
			err = e
		}
	}
	return File{Path: filepath.ToSlash(o.path), Kind: o.kind, Rows: o.rows, Bytes: o.n.bytes}, err
}

// abort closes without caring for errors, after a failure elsewhere.
func (o *outFile) abort() {
	if o.f != nil {
		o.f.Close()
	}
}
