package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/writhq/writ"
)

// Selectors are stored as salted commitments so that the log shows what was
// asked about without revealing it:
//
//	salt_i     = HMAC-SHA256(commitKey, uint64 big-endian i)
//	commitment = hex(SHA-256(salt_i || selector))
//
// where i is the entry's index and selector is the normalised "kind:value"
// text (writ.Selector.String). Each entry has its own salt, so opening one
// entry's salt to a court lets it check a claimed selector for that entry and
// tells it nothing about any other.

// Salt opens the salt of entry index.
func (l *Log) Salt(index int64) ([]byte, error) {
	if index < 0 {
		return nil, writ.Errorf(writ.EInvalid, "audit entry index %d is negative", index)
	}
	return salt(l.keys.commitKey, index), nil
}

func salt(key []byte, index int64) []byte {
	m := hmac.New(sha256.New, key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(index))
	m.Write(b[:])
	return m.Sum(nil)
}

// Commitment returns the commitment to selector (normalised "kind:value"
// text) under an entry's salt.
func Commitment(salt []byte, selector string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(selector))
	return hex.EncodeToString(h.Sum(nil))
}

// CheckSelector reports whether commitment (from an entry's Selectors) is the
// commitment to the claimed selector under the entry's salt. The claim is
// normalised first, so "phone:+1 555 123 4567" matches "phone:+15551234567".
func CheckSelector(salt []byte, claimed, commitment string) bool {
	c := Commitment(salt, canonicalSelector(claimed))
	return subtle.ConstantTimeCompare([]byte(c), []byte(commitment)) == 1
}

// canonicalSelector normalises selector text when it parses, so that the
// same identifier always gets the same commitment; anything else is
// committed to as given (it is still never stored raw).
func canonicalSelector(s string) string {
	if sel, err := writ.ParseSelector(s); err == nil {
		return sel.String()
	}
	return strings.TrimSpace(s)
}

// rawSelectors lists what an entry asked about, as the text to commit to:
// its RawSelectors and also anything a caller put in Selectors, which the log
// treats as raw too rather than risk storing an identifier in the clear.
func rawSelectors(e *writ.AuditEntry, dst []string) []string {
	for _, s := range e.RawSelectors {
		if n, err := writ.NormalizeSelector(s); err == nil {
			s = n
		}
		dst = append(dst, s.String())
	}
	for _, s := range e.Selectors {
		dst = append(dst, canonicalSelector(s))
	}
	return dst
}

// salter computes salts and commitments for the writer goroutine, reusing
// one keyed HMAC: keying it anew for every entry was a third of the
// writer's hashing.
type salter struct {
	mac hash.Hash
	buf []byte
}

func newSalter(key []byte) *salter { return &salter{mac: hmac.New(sha256.New, key)} }

// commit replaces the entry's selectors with their commitments under the salt
// of index.
func (s *salter) commit(index int64, raw []string, e *writ.AuditEntry) {
	e.RawSelectors = nil
	e.Selectors = nil
	if len(raw) == 0 {
		return
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(index))
	s.mac.Reset()
	s.mac.Write(b[:])
	s.buf = s.mac.Sum(s.buf[:0])
	n := len(s.buf)
	e.Selectors = make([]string, len(raw))
	for i, r := range raw {
		s.buf = append(s.buf[:n], r...)
		sum := sha256.Sum256(s.buf)
		e.Selectors[i] = hex.EncodeToString(sum[:])
	}
}
