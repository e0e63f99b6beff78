package world

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// outFile is one file being written: buffered, optionally gzipped, counted.
type outFile struct {
	path    string // relative to Config.Out
	kind    string
	f       *os.File
	gz      *gzip.Writer
	async   *asyncWriter // compresses on another goroutine
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
		o.async = newAsyncWriter(o.gz)
		w = o.async
	}
	o.bw = bufio.NewWriterSize(w, 256<<10)
	return o, nil
}

func (o *outFile) Write(p []byte) (int, error) { return o.bw.Write(p) }

// close flushes everything and reports the file.
func (o *outFile) close() (File, error) {
	err := o.bw.Flush()
	if o.async != nil {
		if e := o.async.close(); err == nil {
			err = e
		}
	}
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
	if o.async != nil {
		o.async.close()
	}
	if o.f != nil {
		o.f.Close()
	}
}

// asyncWriter hands filled buffers to a goroutine that writes them on, so
// that generating and compressing run on two cores. The output is the same
// bytes in the same order; a write error is reported by the next Write or by
// close.
type asyncWriter struct {
	full, free chan []byte
	done       chan error
	err        atomic.Pointer[error]
	closed     bool
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{full: make(chan []byte, 2), free: make(chan []byte, 3), done: make(chan error, 1)}
	for range cap(a.free) {
		a.free <- make([]byte, 0, 256<<10)
	}
	go func() {
		var err error
		for b := range a.full {
			if err == nil {
				if _, err = w.Write(b); err != nil {
					a.err.Store(&err)
				}
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	if e := a.err.Load(); e != nil {
		return 0, *e
	}
	b := <-a.free
	a.full <- append(b, p...)
	return len(p), nil
}

func (a *asyncWriter) close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	close(a.full)
	return <-a.done
}
