package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// PseudonymKey returns the key that comms analyses under authority use to
// pseudonymise non-target numbers. It is derived from the log's secret
// commit key, so it is stable for an authority across restarts, differs
// between authorities (pseudonyms cannot be joined across orders), and
// cannot be recomputed by anyone without the key file.
func (l *Log) PseudonymKey(authority int64) []byte {
	m := hmac.New(sha256.New, l.keys.commitKey)
	m.Write([]byte("writ/comms-pseudonym/v1\x00"))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(authority)))
	return m.Sum(nil)
}
