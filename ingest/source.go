package ingest

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/writhq/writ"
)

// ErrEmpty is the error for a file with no bytes (or none after gunzip).
var ErrEmpty = writ.Errorf(writ.EInvalid, "the file is empty")

// SourceKey returns a file's identity: "sha256:" and the hex SHA-256 of its
// bytes, so the same content under another name is the same source.
func SourceKey(path string) (key string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return sourceKey(f)
}

func sourceKey(r io.Reader) (key string, size int64, err error) {
	h := sha256.New()
	size, err = io.Copy(h, r)
	if err != nil {
		return "", 0, err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), size, nil
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// decompress returns r's content, gunzipped if it starts with the gzip
// magic bytes (whatever the file is called). A gzip stream that breaks off
// or fails its checksum reads as an error, not as a short file.
func decompress(r io.Reader) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	if len(magic) < 2 || magic[0] != gzipMagic[0] || magic[1] != gzipMagic[1] {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, true, errTruncatedGzip
		}
		return nil, true, fmt.Errorf("%w: %v", errCorruptGzip, err)
	}
	return &gzipReader{zr: zr}, true, nil
}

var (
	errTruncatedGzip = errors.New("the gzip stream is truncated")
	errCorruptGzip   = errors.New("the gzip stream is corrupt")
)

// gzipReader names gzip's errors for what they mean to an operator.
type gzipReader struct{ zr *gzip.Reader }

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = errTruncatedGzip
	default:
		err = fmt.Errorf("%w: %v", errCorruptGzip, err)
	}
	return n, err
}
