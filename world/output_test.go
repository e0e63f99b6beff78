package world

import (
	"bytes"
	"errors"
	"testing"
)

func TestAsyncWriter(t *testing.T) {
	var out bytes.Buffer
	a := newAsyncWriter(&out)
	var want bytes.Buffer
	for i := range 2000 {
		chunk := bytes.Repeat([]byte{byte('a' + i%26)}, i%700)
		want.Write(chunk)
		if n, err := a.Write(chunk); n != len(chunk) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(chunk), n, err)
		}
	}
	if err := a.close(); err != nil {
		t.Fatalf("close() = %v", err)
	}
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Errorf("asyncWriter wrote %d bytes, want the %d written, in order", out.Len(), want.Len())
	}
	if err := a.close(); err != nil {
		t.Errorf("second close() = %v, want nil", err)
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestAsyncWriterError(t *testing.T) {
	a := newAsyncWriter(failWriter{})
	var err error
	for range 100 {
		if _, err = a.Write([]byte("x")); err != nil {
			break
		}
	}
	if cerr := a.close(); !errors.Is(cerr, errDiskFull) {
		t.Errorf("close() after a failed write = %v, want %v", cerr, errDiskFull)
	}
	if err != nil && !errors.Is(err, errDiskFull) {
		t.Errorf("Write after a failed write = %v, want %v", err, errDiskFull)
	}
}
