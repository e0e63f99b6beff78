package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/writhq/writ"
)

// The leaf data of entry i, the bytes hashed into the tree and kept in
// audit_entries.data, is one JSON object: writ.AuditEntry as encoding/json
// writes it, with
//   - keys in the order of the struct's fields, empty optional fields left out;
//   - "index" always present and equal to i;
//   - times in UTC with at most microsecond precision (RFC 3339);
//   - "selectors" holding commitments only (see Commitment);
//   - no HTML escaping, no insignificant whitespace, no trailing newline.
// A verifier never re-encodes: it hashes the stored bytes. The encoding only
// has to be one the log always produces the same way, and readable by anyone.

// encodeLeaf appends the leaf data of e to dst.
func encodeLeaf(dst []byte, e *writ.AuditEntry) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return dst, fmt.Errorf("audit: encode entry %d: %w", e.Index, err)
	}
	out := b.Bytes()
	return out[:len(out)-1], nil // Encode ends with a newline
}

// DecodeEntry decodes leaf data into an entry.
func DecodeEntry(data []byte) (*writ.AuditEntry, error) {
	var e writ.AuditEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, writ.Errorf(writ.EInvalid, "audit entry data is not valid JSON: %v", err)
	}
	return &e, nil
}

// leafIndex returns the "index" a leaf says it has.
func leafIndex(data []byte) (int64, error) {
	var head struct {
		Index *int64 `json:"index"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return 0, fmt.Errorf("entry data is not valid JSON: %v", err)
	}
	if head.Index == nil {
		return 0, fmt.Errorf("entry data has no index")
	}
	return *head.Index, nil
}

// normalize puts the entry's times in the leaf form: UTC, microseconds.
func normalize(e *writ.AuditEntry, now time.Time) {
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if e.From != nil {
		t := e.From.UTC().Truncate(time.Microsecond)
		e.From = &t
	}
	if e.To != nil {
		t := e.To.UTC().Truncate(time.Microsecond)
		e.To = &t
	}
}

// validate checks what a caller hands to Record.
func validate(e *writ.AuditEntry) error {
	switch {
	case e == nil:
		return writ.Errorf(writ.EInvalid, "audit entry is nil")
	case e.Action == "":
		return writ.Errorf(writ.EInvalid, "audit entry needs an action")
	case e.Decision != writ.DecisionGranted && e.Decision != writ.DecisionDenied && e.Decision != writ.DecisionDone:
		return writ.Errorf(writ.EInvalid, "audit entry decision %q: want granted, denied or done", e.Decision)
	}
	return nil
}
