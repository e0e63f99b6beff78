package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/writhq/writ"
)

// Message is one event of a live feed: a JSON object (as one NDJSON line)
// and its sequence in the stream, which increases along the stream.
type Message struct {
	Seq  int64
	Data []byte
}

// Stream maps the messages of one live feed (a NATS JetStream stream, an
// HTTP NDJSON stream) onto batches. Delivery may repeat messages: each batch
// moves the stream's high-water mark in the transaction that stores it, and
// the store skips rows at or below the mark, so every message is stored once.
// A Stream is not safe for concurrent use.
type Stream struct {
	st    Store
	m     *Mapping
	name  string
	basis Basis
	mp    *Mapper
}

// NewStream returns a stream named name that maps messages with m, which must
// be an ndjson mapping (each message is one JSON object).
func NewStream(st Store, m *Mapping, name string, basis Basis, now time.Time) (*Stream, error) {
	if m.Format != "ndjson" {
		return nil, writ.Errorf(writ.EInvalid, "a stream's mapping must have format ndjson (one JSON object per message), not %s", m.Format)
	}
	if strings.TrimSpace(name) == "" || len(name) > 200 {
		return nil, writ.Errorf(writ.EInvalid, "a stream needs a name of 1-200 characters")
	}
	if now.IsZero() {
		now = writ.Now()
	}
	mp, err := newMapper(m, nil, now)
	if err != nil {
		return nil, err
	}
	return &Stream{st: st, m: m, name: name, basis: basis, mp: mp}, nil
}

// StreamResult says what one Commit did.
type StreamResult struct {
	writ.BatchResult
	ByReason map[string]int64 // quarantined messages by reason
}

// Commit maps msgs, which must be in increasing sequence, and commits them as
// one batch ending at the last sequence. Malformed messages are quarantined
// with their sequence and reason; messages at or below the stream's mark
// (already stored) are skipped by the store.
func (s *Stream) Commit(ctx context.Context, msgs []Message) (StreamResult, error) {
	res := StreamResult{ByReason: map[string]int64{}}
	if len(msgs) == 0 {
		return res, nil
	}
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Seq <= msgs[i-1].Seq {
			return res, writ.Errorf(writ.EInvalid, "stream %s: sequence %d follows %d; messages must be in increasing sequence", s.name, msgs[i].Seq, msgs[i-1].Seq)
		}
	}
	last := msgs[len(msgs)-1].Seq
	b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "stream:" + s.name, Number: last, Size: len(msgs),
		Dataset: s.m.Dataset, Source: s.name, Kind: s.m.Kind, BasisKind: s.basis.Kind, BasisID: s.basis.ID,
		Read: int64(len(msgs))}, Stream: s.name, Fields: s.mp.schema}
	for _, msg := range msgs {
		in := &row{line: msg.Seq, raw: msg.Data}
		bad := decodeMessage(in)
		if bad == nil {
			if bad = s.mp.load(in); bad == nil {
				bad = s.mp.appendRow(b, writ.Provenance{Offset: msg.Seq, ContentHash: hash(msg.Data)})
			}
		}
		if bad != nil {
			b.Quarantine = append(b.Quarantine, quarantined(in, bad))
			res.ByReason[bad.Reason]++
		}
	}
	br, err := s.st.CommitBatch(ctx, b)
	if err != nil {
		return res, fmt.Errorf("stream %s: commit through sequence %d: %w", s.name, last, err)
	}
	res.BatchResult = br
	return res, nil
}

// decodeMessage parses a message as one JSON object.
func decodeMessage(in *row) *RowError {
	data := bytes.TrimSpace(in.raw)
	if !utf8.Valid(data) {
		return &RowError{Reason: ReasonBadUTF8, Detail: "the message is not valid UTF-8"}
	}
	if len(data) > DefaultMaxLine {
		return &RowError{Reason: ReasonLineTooLong, Detail: fmt.Sprintf("the message is %d bytes; the limit is %d", len(data), DefaultMaxLine)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return &RowError{Reason: ReasonBadJSON, Detail: "the message is not a JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &RowError{Reason: ReasonBadJSON, Detail: "the message holds more than one JSON value"}
	}
	in.obj = obj
	return nil
}
