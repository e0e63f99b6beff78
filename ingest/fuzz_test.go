package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/writhq/writ"
)

// The fuzz targets check that parsers and normalisers never panic, always
// end, and fail only with the documented errors: a *RowError with a reason
// from Reasons (for rows), io.EOF, or the errors that end a file.

func documented(err error) bool {
	var re *RowError
	switch {
	case err == nil, err == io.EOF, errors.Is(err, errNotArray), errors.Is(err, errTruncatedGzip), errors.Is(err, errCorruptGzip):
		return true
	case errors.As(err, &re):
		return slices.Contains(Reasons, re.Reason) && re.Detail != ""
	}
	return false
}

// readAll reads every row of a reader, checking each error, and returns the
// good rows' fields (CSV) or the count of objects (JSON).
func readAll(t *testing.T, rd reader, limit int) (records [][]string, lines []int64, objects int) {
	for range limit {
		r, err := rd.next()
		if err == io.EOF {
			return
		}
		if !documented(err) {
			t.Fatalf("next() = %T %v, an undocumented error", err, err)
		}
		if r == nil {
			if err == nil {
				t.Fatal("next() = nil, nil")
			}
			return // the input ended early
		}
		if err == nil {
			if r.obj != nil {
				objects++
			}
			rec := make([]string, len(r.fields))
			for i, f := range r.fields {
				rec[i] = string(f)
			}
			records = append(records, rec)
			lines = append(lines, r.line)
		}
		if len(r.raw) > 4<<10+1<<10 && r.size == 0 {
			t.Fatalf("row of %d bytes kept for a limit of %d", len(r.raw), 4<<10)
		}
		if isTerminal(err) {
			return
		}
	}
	t.Fatalf("reader did not end within %d rows", limit)
	return
}

func isTerminal(err error) bool {
	var f *fatalRow
	return err != nil && !errors.Is(err, io.EOF) && (errors.As(err, &f) || !errors.As(err, new(*RowError)))
}

var csvSeeds = []string{
	"a,b,c\n1,2,3\n",
	"a,\"b\nc\",d\r\n\"x\"\"y\",,\n",
	"\"unterminated\nfield,a\n",
	"a,\"b\"c,d\n",
	"a\"b,c\n\n\n  ,\n",
	"\xff\xfe,a\n",
	"\"a\r\r\nb\",c\r",
	",\n,,\n\"\"\n",
}

func FuzzCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 4 << 10
		got, lines, _ := readAll(t, newCSVReader(bytes.NewReader(in), ',', true, max), len(in)+2)
		// Where encoding/csv reads the input without error, and every row is
		// well-formed for us too, both must read the same records.
		cr := csv.NewReader(bytes.NewReader(in))
		cr.FieldsPerRecord = -1
		want, err := cr.ReadAll()
		if err != nil || !utf8.Valid(in) || longestLine(in) > max {
			return
		}
		if len(want) == 0 {
			want = nil
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("csv %q: read %q, encoding/csv reads %q", in, got, want)
		}
		cr = csv.NewReader(bytes.NewReader(in))
		cr.FieldsPerRecord = -1
		for i := range want {
			cr.Read()
			if line, _ := cr.FieldPos(0); int64(line) != lines[i] {
				t.Fatalf("csv %q: record %d on line %d, encoding/csv says %d", in, i, lines[i], line)
			}
		}
	})
}

func longestLine(b []byte) int {
	n := 0
	for _, l := range bytes.Split(b, []byte{'\n'}) {
		n = max(n, len(l))
	}
	return n
}

func FuzzTSV(f *testing.F) {
	for _, s := range []string{"a\tb\n1\t2\n", "a\t\"b\n", "\t\t\n\n", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, _, _ := readAll(t, newCSVReader(bytes.NewReader(in), '\t', false, 1<<10), len(in)+2)
		for _, rec := range got {
			for _, field := range rec {
				if strings.ContainsAny(field, "\t\n") {
					t.Fatalf("tsv %q: field %q holds a tab or newline", in, field)
				}
			}
		}
	})
}

func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":{\"c\":\"d\"}}\n", "{\"a\":1\n[1]\n\"s\"\n\n", "{} {}\n", "\xff\n", "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _, objects := readAll(t, newNDJSONReader(bytes.NewReader(in), 1<<10), len(in)+2)
		if want := ndjsonObjects(in, 1<<10); objects != want {
			t.Fatalf("ndjson %q: %d objects, want %d", in, objects, want)
		}
	})
}

// ndjsonObjects counts the lines that are one JSON object, the slow way.
func ndjsonObjects(in []byte, max int) int {
	n := 0
	for _, line := range bytes.Split(in, []byte{'\n'}) {
		if len(line) > max || !utf8.Valid(line) {
			continue
		}
		if _, bad := decodeObject(bytes.NewReader(line)); bad == nil {
			n++
		}
	}
	return n
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{"[{\"a\":1},{\"b\":2}]", "[{\"a\":1},", "{\"a\":1}", "[1,\"x\",null]", "[] x", "[{\"a\":\"\xff\"}]", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		readAll(t, newArrayReader(bytes.NewReader(in), 1<<10), len(in)+2)
	})
}

// FuzzGzip feeds arbitrary bytes, and cut gzip streams, through
// decompression and the CSV reader.
func FuzzGzip(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(strings.Repeat("a,b,c\n", 100)))
	zw.Close()
	f.Add(buf.Bytes(), uint16(len(buf.Bytes())))
	f.Add(buf.Bytes(), uint16(30))
	f.Add([]byte{0x1f, 0x8b}, uint16(2))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		in = in[:min(int(cut), len(in))]
		r, _, err := decompress(bytes.NewReader(in))
		if err != nil {
			if !documented(err) {
				t.Fatalf("decompress(%q) = %v, undocumented", in, err)
			}
			return
		}
		readAll(t, newCSVReader(r, ',', true, 1<<10), 1<<20)
	})
}

func checkNorm(t *testing.T, name, in string, err error) {
	t.Helper()
	if err != nil && !documented(err) {
		t.Fatalf("%s(%q) = %v, undocumented", name, in, err)
	}
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"0470 12 34 56", "+32470123456", "(212) 555-0142", "12", "+", "\xff", "00000000000000000000"} {
		f.Add(s, "BE")
	}
	f.Add("06-12345678", "NL")
	f.Add("555", "ZZ")
	for _, s := range []string{"+32470123456", "+3225551212", "+442012345678", "+4402012345678", "+12125550142", "+390612345678",
		"+8613800138000", "+5491123456789", "+80012345678", "+999123456789"} {
		f.Add(s, "BE")
	}
	f.Fuzz(func(t *testing.T, in, region string) {
		if fast, ok := phoneE164(in); ok {
			if slow, err := phoneParse(in, region); err != nil || slow != fast {
				t.Fatalf("phoneE164(%q) = %q, but the parser says %q, %v", in, fast, slow, err)
			}
		}
		got, err := Phone(in, region)
		checkNorm(t, "Phone", in, err)
		if err == nil {
			if _, err := writ.NormalizeSelector(writ.Selector{Kind: writ.SelPhone, Value: got}); err != nil {
				t.Fatalf("Phone(%q, %q) = %q, not a phone selector: %v", in, region, got, err)
			}
			if again, err := Phone(got, region); err != nil || again != got {
				t.Fatalf("Phone(Phone(%q)) = %q, %v; want %q again", in, again, err, got)
			}
		}
	})
}

func FuzzPlate(f *testing.F) {
	for _, s := range []string{"1-abc-123", "---", "äöü 12", strings.Repeat("A", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Plate(in)
		checkNorm(t, "Plate", in, err)
		if err == nil {
			if again, err := Plate(got); err != nil || again != got || len(got) == 0 || len(got) > 16 {
				t.Fatalf("Plate(%q) = %q; Plate of that = %q, %v", in, got, again, err)
			}
		}
	})
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"  José-María  O'Neil ", "ＡＮＮ", "Straße", "\xff", "ǅ", "ﬃ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Name(in)
		checkNorm(t, "Name", in, err)
		if err == nil && (strings.Contains(got, "  ") || strings.TrimSpace(got) != got) {
			t.Fatalf("Name(%q) = %q: white space not collapsed", in, got)
		}
		key := NameKey(in)
		if again := NameKey(key); again != key {
			t.Fatalf("NameKey(%q) = %q, but NameKey of that = %q", in, key, again)
		}
		if !utf8.ValidString(key) {
			t.Fatalf("NameKey(%q) = %q, not UTF-8", in, key)
		}
	})
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"1981-04-03", "03/04/1981", "13/04/1981", "31.12.1999", "April 3, 1981", "1981-04-03T10:00:00+14:00", "", "\xff"} {
		f.Add(s, "")
	}
	f.Add("03/04/1981", "02/01/2006")
	f.Add("x", "2006")
	f.Fuzz(func(t *testing.T, in, layout string) {
		got, err := Date(in, layout)
		checkNorm(t, "Date", in, err)
		if err == nil && (got.Year() < minYear || got.Year() > maxYear || got.Location() != time.UTC || got.Hour() != 0 || got.Nanosecond() != 0) {
			t.Fatalf("Date(%q, %q) = %v, not a UTC midnight in range", in, layout, got)
		}
	})
}

func FuzzTime(f *testing.F) {
	for _, s := range []string{"2026-10-01T08:00:00Z", "2026-10-01 08:00:00+02:00", "2026-10-01T08:00:00.123456789Z", "x"} {
		f.Add(s, "")
	}
	for _, s := range []string{"1790841600", "1790841600.5", "-1.5", "-0.000000001", "1e9", "."} {
		f.Add(s, "unix")
	}
	f.Add("01/10/2026 08:00", "02/01/2006 15:04")
	f.Fuzz(func(t *testing.T, in, layout string) {
		got, err := Time(in, layout)
		checkNorm(t, "Time", in, err)
		if err == nil && (got.Year() < minYear || got.Year() > maxYear || got.Location() != time.UTC) {
			t.Fatalf("Time(%q, %q) = %v, not UTC in range", in, layout, got)
		}
	})
}

func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"50.8466", "-90", "90.0000001", "1e400", "NaN", "-Inf", "0x1p-2", " 42 ", "4_2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if v, err := Lat(in); err == nil && (v < -90 || v > 90 || math.IsNaN(v)) {
			t.Fatalf("Lat(%q) = %v, out of range", in, v)
		} else {
			checkNorm(t, "Lat", in, err)
		}
		if v, err := Lon(in); err == nil && (v < -180 || v > 180 || math.IsNaN(v)) {
			t.Fatalf("Lon(%q) = %v, out of range", in, v)
		} else {
			checkNorm(t, "Lon", in, err)
		}
		if v, err := Float(in); err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("Float(%q) = %v, not finite", in, v)
		} else {
			checkNorm(t, "Float", in, err)
		}
		_, err := Int(in)
		checkNorm(t, "Int", in, err)
	})
}

func FuzzMapping(f *testing.F) {
	f.Add(`{"dataset": "d", "kind": "pings", "format": "csv", "fields": {"device": {"from": "d"}, "at": {"from": "t"}, "lat": {"from": "y"}, "lon": {"from": "x"}}}`)
	f.Add(`{"dataset": "d", "kind": "records", "format": "json", "entity": "Person", "fields": {"n": {"from": "a.b", "normalize": "date", "layout": "2006"}}}`)
	f.Add(`{"dataset": "d", "kind": "contacts", "format": "tsv", "fields": {"caller": {"from": ""}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseMapping(strings.NewReader(in))
		if err != nil {
			if writ.ErrorKind(err) != writ.EInvalid {
				t.Fatalf("ParseMapping(%q) = %v, not an invalid error", in, err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("ParseMapping(%q) accepted a mapping that does not validate again: %v", in, err)
		}
	})
}
