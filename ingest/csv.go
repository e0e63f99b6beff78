package ingest

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// row is one input row as a reader returns it, valid until the next call.
type row struct {
	line   int64  // line (JSON arrays: element) number where the row starts, from 1
	raw    []byte // the row's bytes as read; for a long row, its first bytes
	size   int64  // the row's full size, when raw is only its start
	fields [][]byte
	obj    map[string]any
}

// reader yields rows. next returns io.EOF at the end; a *RowError for a bad
// row, which it has read past (the row says where it was and what it held);
// any other error ends the input, with the partial row before it.
type reader interface {
	next() (*row, error)
}

// csvReader reads RFC 4180 CSV, or TSV (tab-separated, no quoting).
// Records may span lines inside quoted fields; empty lines are skipped.
// A quote inside an unquoted field is kept as it is.
type csvReader struct {
	lr     *lineReader
	comma  byte
	quotes bool
	row    row
	rec    []byte // unescaped field bytes of the record
	ends   []int  // end of each field in rec
	raw    []byte // the record's lines, when it spans several
	fields [][]byte
	header int // columns every row must have; 0: any number
}

func newCSVReader(r io.Reader, comma byte, quotes bool, max int) *csvReader {
	return &csvReader{lr: newLineReader(r, max), comma: comma, quotes: quotes}
}

func (c *csvReader) next() (*row, error) {
	for {
		line, err := c.lr.next()
		if err != nil && len(line) == 0 && !isLong(err) {
			return nil, err
		}
		c.row = row{line: c.lr.line}
		if isLong(err) {
			c.row.raw, c.row.size = line, err.(*errLong).size
			return &c.row, rowErr(ReasonLineTooLong, "line of %d bytes; the limit is %d", c.row.size, c.lr.max)
		}
		if err != nil { // the input broke off in this line
			c.row.raw = line
			return &c.row, err
		}
		if len(trimCR(line)) == 0 {
			continue
		}
		return c.record(line)
	}
}

// record parses a record starting with line, reading more lines while a
// quoted field is open.
func (c *csvReader) record(line []byte) (*row, error) {
	c.rec, c.ends, c.raw = c.rec[:0], c.ends[:0], c.raw[:0]
	c.row.raw = line
	open, bad := c.scan(trimCR(line), false)
	for open && bad == nil {
		if len(c.raw) == 0 {
			c.raw = append(c.raw, line...)
		}
		next, err := c.lr.next()
		switch {
		case err == io.EOF:
			c.row.raw = c.raw
			return &c.row, rowErr(ReasonBadCSV, "a quoted field opened on line %d is not closed before the end of the file", c.row.line)
		case isLong(err) || (err == nil && len(c.raw)+1+len(next) > c.lr.max):
			c.row.raw, c.row.size = c.raw, int64(len(c.raw)+1+len(next))
			if isLong(err) {
				c.row.size += err.(*errLong).size - int64(len(next))
			}
			return &c.row, rowErr(ReasonLineTooLong, "record of more than %d bytes (a quoted field opened on line %d may not be closed)", c.lr.max, c.row.line)
		case err != nil:
			c.row.raw = append(append(c.raw, '\n'), next...)
			return &c.row, err
		}
		c.raw = append(append(c.raw, '\n'), next...)
		c.row.raw = c.raw
		open, bad = c.scan(trimCR(next), true)
	}
	if !utf8.Valid(c.row.raw) {
		return &c.row, rowErr(ReasonBadUTF8, "the row is not valid UTF-8")
	}
	if bad != nil {
		return &c.row, bad
	}
	c.fields = c.fields[:0]
	start := 0
	for _, end := range c.ends {
		c.fields = append(c.fields, c.rec[start:end])
		start = end
	}
	c.row.fields = c.fields
	if bad := columnCount(len(c.row.fields), c.header); bad != nil {
		return &c.row, bad
	}
	return &c.row, nil
}

// scan parses one physical line of a record. cont says the line continues a
// quoted field from the line before. It reports whether a quoted field is
// still open at the end of the line.
func (c *csvReader) scan(line []byte, cont bool) (open bool, bad *RowError) {
	i := 0
	quoted := cont
	if cont {
		c.rec = append(c.rec, '\n')
	}
	for {
		if quoted {
			j := bytes.IndexByte(line[i:], '"')
			if j < 0 {
				c.rec = append(c.rec, line[i:]...)
				return true, nil
			}
			c.rec = append(c.rec, line[i:i+j]...)
			i += j + 1
			if i < len(line) && line[i] == '"' {
				c.rec = append(c.rec, '"')
				i++
				continue
			}
			quoted = false
			c.ends = append(c.ends, len(c.rec))
			if i == len(line) {
				return false, nil
			}
			if line[i] != c.comma {
				return false, rowErr(ReasonBadCSV, "field %d: a quoted field must be followed by a delimiter or the end of the line", len(c.ends))
			}
			i++
		}
		// At the start of a field.
		if c.quotes && i < len(line) && line[i] == '"' {
			quoted = true
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], c.comma)
		if j < 0 {
			c.rec = append(c.rec, line[i:]...)
			c.ends = append(c.ends, len(c.rec))
			return false, nil
		}
		c.rec = append(c.rec, line[i:i+j]...)
		c.ends = append(c.ends, len(c.rec))
		i += j + 1
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
