package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ndjsonReader reads one JSON object per line; blank lines are skipped.
type ndjsonReader struct {
	lr  *lineReader
	row row
	br  bytes.Reader
}

func newNDJSONReader(r io.Reader, max int) *ndjsonReader {
	return &ndjsonReader{lr: newLineReader(r, max)}
}

func (n *ndjsonReader) next() (*row, error) {
	for {
		line, err := n.lr.next()
		if err != nil && len(line) == 0 && !isLong(err) {
			return nil, err
		}
		n.row = row{line: n.lr.line, raw: line}
		if isLong(err) {
			n.row.size = err.(*errLong).size
			return &n.row, rowErr(ReasonLineTooLong, "line of %d bytes; the limit is %d", n.row.size, n.lr.max)
		}
		if err != nil {
			return &n.row, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			return &n.row, rowErr(ReasonBadUTF8, "the row is not valid UTF-8")
		}
		n.br.Reset(line)
		obj, bad := decodeObject(&n.br)
		n.row.obj = obj
		if bad != nil {
			return &n.row, bad
		}
		return &n.row, nil
	}
}

// decodeObject decodes exactly one JSON object, numbers kept as written.
func decodeObject(r io.Reader) (map[string]any, *RowError) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, rowErr(ReasonBadJSON, "not JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, rowErr(ReasonBadJSON, "a %s, not an object", jsonType(v))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, rowErr(ReasonBadJSON, "more after the object")
	}
	return obj, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// arrayReader streams the elements of a top-level JSON array with
// json.Decoder, one element in memory at a time. Element numbers are the
// rows' numbers; the line an element starts on is in its quarantine detail.
// A syntax error, or an element over the limit, ends the file: a JSON
// array cannot be resynchronised.
type arrayReader struct {
	dec     *json.Decoder
	lines   *lineCounter
	limit   *limitReader
	max     int
	n       int64
	started bool
	done    bool
	row     row
}

func newArrayReader(r io.Reader, max int) *arrayReader {
	lim := &limitReader{r: r, limit: int64(max) + 1}
	lc := &lineCounter{r: lim}
	a := &arrayReader{lines: lc, limit: lim, max: max}
	a.dec = json.NewDecoder(lc)
	a.dec.UseNumber()
	return a
}

// errNotArray ends a JSON file that is not an array of objects.
var errNotArray = errors.New("a JSON file must hold one array of objects (use ndjson for one object per line)")

func (a *arrayReader) next() (*row, error) {
	if a.done {
		return nil, io.EOF
	}
	if !a.started {
		a.started = true
		tok, err := a.dec.Token()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, a.fail(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, &fatalRow{rowErr(ReasonBadJSON, "%v", errNotArray)}
		}
	}
	if !a.dec.More() {
		a.done = true
		if _, err := a.dec.Token(); err != nil { // the closing ']'
			return nil, a.fail(err)
		}
		if _, err := a.dec.Token(); err != io.EOF {
			return nil, &fatalRow{rowErr(ReasonBadJSON, "%v: more data after the array", errNotArray)}
		}
		return nil, io.EOF
	}
	a.n++
	start := a.dec.InputOffset()
	a.limit.allow(a.limit.read + int64(a.max) + 1) // the decoder may hold read-ahead beyond start
	line := a.lines.lineAt(start)
	var raw json.RawMessage
	err := a.dec.Decode(&raw)
	a.row = row{line: a.n, raw: raw}
	if errors.Is(err, errTooLarge) {
		a.done = true
		a.row.raw, a.row.size = nil, a.limit.read-start
		return &a.row, &fatalRow{rowErr(ReasonLineTooLong, "element %d (line %d) is over %d bytes; the rest of the file cannot be read (use ndjson)", a.n, line, a.max)}
	}
	if err != nil {
		a.done = true
		return &a.row, a.fail(err)
	}
	if len(raw) > a.max {
		return &a.row, rowErr(ReasonLineTooLong, "element %d (line %d) is %d bytes; the limit is %d", a.n, line, len(raw), a.max)
	}
	if !utf8.Valid(raw) {
		return &a.row, rowErr(ReasonBadUTF8, "element %d (line %d) is not valid UTF-8", a.n, line)
	}
	obj, bad := decodeObject(bytes.NewReader(raw))
	if bad != nil {
		bad.Detail = fmt.Sprintf("element %d (line %d): %s", a.n, line, bad.Detail)
		return &a.row, bad
	}
	a.row.obj = obj
	return &a.row, nil
}

// fail turns a decoder error into the error that ends the file: a read
// error passes through (a truncated file); a syntax error is a bad_json
// row that ends it.
func (a *arrayReader) fail(err error) error {
	if errors.Is(err, errTooLarge) { // outside any element: the array's own start or end
		return &fatalRow{rowErr(ReasonLineTooLong, "line %d: a JSON value over %d bytes; the rest of the file cannot be read", a.lines.lineAt(a.dec.InputOffset()), a.max)}
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) && a.limit.err == nil {
		return &fatalRow{rowErr(ReasonBadJSON, "line %d: %v; the rest of the file cannot be read", a.lines.lineAt(a.dec.InputOffset()), err)}
	}
	if a.limit.err != nil {
		return a.limit.err
	}
	return err
}

// fatalRow is a bad row after which the input cannot go on.
type fatalRow struct{ *RowError }

func (f *fatalRow) Unwrap() error { return f.RowError }

// errTooLarge stops the decoder inside an element over the limit.
var errTooLarge = errors.New("element too large")

// limitReader fails reads beyond a moving limit, and keeps the read error
// of the input it wraps.
type limitReader struct {
	r     io.Reader
	read  int64
	limit int64
	err   error
}

func (l *limitReader) allow(n int64) { l.limit = n }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.read >= l.limit {
		return 0, errTooLarge
	}
	if room := l.limit - l.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

// lineCounter counts the newlines the decoder has consumed, to say which
// line an element starts on. It keeps the bytes read but not yet counted,
// which is bounded by the decoder's read-ahead and one element.
type lineCounter struct {
	r       io.Reader
	pending []byte
	base    int64 // input offset of pending[0]
	lines   int64 // newlines before base
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pending = append(c.pending, p[:n]...)
	return n, err
}

// lineAt returns the line number (from 1) of input offset off, which must
// not be less than any offset asked before.
func (c *lineCounter) lineAt(off int64) int64 {
	k := min(int(off-c.base), len(c.pending))
	c.lines += int64(bytes.Count(c.pending[:k], []byte{'\n'}))
	c.pending = c.pending[:copy(c.pending, c.pending[k:])]
	c.base += int64(k)
	return c.lines + 1
}
