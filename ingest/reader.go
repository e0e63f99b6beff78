package ingest

import (
	"bufio"
	"bytes"
	"io"

	"github.com/writhq/writ"
)

// newReader opens the rows of content in the mapping's format. For CSV and
// TSV with a header it reads the header and returns its names.
func newReader(m *Mapping, content io.Reader, max int) (reader, []string, error) {
	switch m.Format {
	case "ndjson":
		return newNDJSONReader(content, max), nil, nil
	case "json":
		return newArrayReader(content, max), nil, nil
	}
	comma, quotes := byte(','), m.Format == "csv"
	if m.Format == "tsv" {
		comma = '\t'
	}
	header := true
	if m.CSV != nil {
		if m.CSV.Delimiter != "" {
			comma = m.CSV.Delimiter[0]
		}
		if m.CSV.Header != nil {
			header = *m.CSV.Header
		}
	}
	cr := newCSVReader(content, comma, quotes, max)
	if !header {
		return cr, nil, nil
	}
	h, err := cr.next()
	switch {
	case err == io.EOF:
		return cr, []string{}, nil
	case err != nil:
		return nil, nil, writ.Errorf(writ.EInvalid, "header (line %d): %v", cr.lr.line, err)
	}
	names := make([]string, len(h.fields))
	for i, f := range h.fields {
		names[i] = string(f)
	}
	cr.header = len(names)
	return cr, names, nil
}

// skipBOM drops a UTF-8 byte order mark at the start of the content.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	return br
}

// columnCount checks a CSV row against the header.
func columnCount(got, want int) *RowError {
	if want == 0 || got == want {
		return nil
	}
	return rowErr(ReasonColumnCount, "%d columns, the header has %d", got, want)
}
