package ingest

import (
	"bufio"
	"errors"
	"io"

	"github.com/writhq/writ"
)

// DefaultMaxLine bounds one row (a line, a CSV record over several lines, or
// a JSON array element): longer ones are quarantined, so a broken file
// cannot exhaust memory.
const DefaultMaxLine = 1 << 20

// lineReader reads lines of at most max bytes, in memory bounded by max.
type lineReader struct {
	br   *bufio.Reader
	max  int
	line int64  // number of the line last returned, from 1
	buf  []byte // a line that did not fit bufio's buffer
	err  error  // sticky: io.EOF, or the read error that ended the input
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// errLong is returned with the first bytes of a line over the limit; size
// is the line's full size. The rest of the line has been read past.
type errLong struct{ size int64 }

func (e *errLong) Error() string { return "line too long" }

// next returns the next line without its "\n" (a "\r" before it is kept:
// the format decides), valid until the next call. At the end it returns
// io.EOF. A line over the limit comes back as its first bytes and an
// *errLong. A read error (a truncated gzip stream) comes back once with the
// partial line before it, and then forever.
func (lr *lineReader) next() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		n := len(lr.buf) + len(chunk)
		if err == nil {
			n-- // the "\n" is not part of the line
		}
		if n > lr.max {
			return lr.skipLong(chunk, err)
		}
		if err == bufio.ErrBufferFull {
			lr.buf = append(lr.buf, chunk...)
			continue
		}
		if len(lr.buf) > 0 {
			lr.buf = append(lr.buf, chunk...)
			chunk = lr.buf
		}
		if err == nil {
			lr.line++
			return chunk[:len(chunk)-1], nil
		}
		// The input ended: normally (io.EOF) or not.
		lr.err = err
		if len(chunk) == 0 {
			return nil, err
		}
		lr.line++
		if err == io.EOF {
			return chunk, nil
		}
		return chunk, err
	}
}

// skipLong keeps the first bytes of an overlong line (as many as quarantine
// keeps) and reads past the rest of it.
func (lr *lineReader) skipLong(chunk []byte, err error) ([]byte, error) {
	size := int64(len(lr.buf) + len(chunk))
	if keep := writ.MaxQuarantineRaw - len(lr.buf); keep > 0 {
		lr.buf = append(lr.buf, chunk[:min(keep, len(chunk))]...)
	}
	for err == bufio.ErrBufferFull {
		chunk, err = lr.br.ReadSlice('\n')
		size += int64(len(chunk))
	}
	lr.line++
	if err == nil {
		size-- // the "\n"
	} else {
		lr.err = err // the input ended inside the line
	}
	return lr.buf, &errLong{size: size}
}

// isLong reports whether err is an overlong line.
func isLong(err error) bool {
	var l *errLong
	return errors.As(err, &l)
}
