package api

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
)

// StreamResult answers a streamed ingest: what the request's lines became.
type StreamResult struct {
	Stream      string           `json:"stream"`
	FirstSeq    int64            `json:"first_seq"`
	LastSeq     int64            `json:"last_seq"`
	Lines       int64            `json:"lines"`
	Stored      int64            `json:"stored"`
	Skipped     int64            `json:"skipped"` // at or below the stream's mark: stored before
	Quarantined int64            `json:"quarantined"`
	ByReason    map[string]int64 `json:"by_reason,omitempty"`
}

// FirstSeqHeader carries the sequence of a streamed request's first line. The
// client numbers its lines, so resending a request stores nothing twice.
const FirstSeqHeader = "Writ-First-Seq"

// streamChunk is how many lines are committed together.
const streamChunk = 2000

// handleIngestStream stores an NDJSON request body, one event per line, as
// the next part of the named stream. Admins only; the mapping is one the
// server knows by name (Config.Mappings), and the legal basis is an
// authority or agreement given in the query. The body is read and committed
// a chunk at a time, so it may be arbitrarily long.
func (s *Server) handleIngestStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("stream")
	q := r.URL.Query()
	entry := writ.AuditEntry{Action: "ingest.stream", Purpose: "stream " + name}
	if err := c.require("streaming data in", writ.RoleAdmin); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	if s.cfg.Mappings == nil {
		return writ.Errorf(writ.EInvalid, "this server has no mappings for streams (serve it with a mappings directory)")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/x-ndjson" && mt != "application/jsonl") {
		return writ.Errorf(writ.EInvalid, "the body must be application/x-ndjson: one JSON object per line")
	}
	first, err := strconv.ParseInt(r.Header.Get(FirstSeqHeader), 10, 64)
	if err != nil || first < 1 {
		return writ.Errorf(writ.EInvalid, "give the %s header: the sequence (from 1) of the body's first line in the stream", FirstSeqHeader)
	}
	m, err := s.cfg.Mappings(q.Get("mapping"))
	if err != nil {
		return err
	}
	basis, err := basisParam(q)
	if err != nil {
		return err
	}
	if basis.Kind == "authority" {
		entry.AuthorityID = basis.ID
	}
	entry.Purpose = fmt.Sprintf("stream %s: %s %s under %s %d", name, m.Kind, m.Dataset, basis.Kind, basis.ID)
	if err := ingest.CheckBasis(r.Context(), s.store, basis, m, writ.Now()); err != nil {
		if writ.ErrorKind(err) == writ.EForbidden {
			return s.audited(r, c.user, entry, &writ.Error{Kind: writ.EForbidden, Rule: "ingest_basis", Message: writ.ErrorMessage(err)}, nil)
		}
		return err
	}
	var target ingest.Store = s.store
	if s.cfg.Lookouts != nil {
		target = s.cfg.Lookouts.Wrap(s.store) // committed batches are matched against lookouts
	}
	st, err := ingest.NewStream(target, m, "http:"+name, basis, writ.Now())
	if err != nil {
		return err
	}
	res := StreamResult{Stream: "http:" + name, FirstSeq: first, ByReason: map[string]int64{}}
	rd := bufio.NewReaderSize(r.Body, 64<<10)
	seq := first
	var chunk []ingest.Message
	commit := func() error {
		if len(chunk) == 0 {
			return nil
		}
		out, err := st.Commit(r.Context(), chunk)
		if err != nil {
			return err
		}
		res.Stored += int64(out.Stored)
		res.Skipped += int64(out.Skipped)
		res.Quarantined += int64(out.Quarantined)
		for k, v := range out.ByReason {
			res.ByReason[k] += v
		}
		chunk = chunk[:0]
		return nil
	}
	var readErr error
	for {
		line, err := readLine(rd, ingest.DefaultMaxLine)
		if len(bytes.TrimSpace(line)) > 0 || errors.Is(err, errLineTooLong) {
			chunk = append(chunk, ingest.Message{Seq: seq, Data: line})
			res.LastSeq = seq
			res.Lines++
			seq++
			if len(chunk) == streamChunk {
				if cerr := commit(); cerr != nil {
					readErr = cerr
					break
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, errLineTooLong) {
			readErr = fmt.Errorf("reading the body after line %d: %w", res.Lines, err)
			break
		}
	}
	if readErr == nil {
		readErr = commit()
	}
	entry.Reason = fmt.Sprintf("%d lines (sequences %d-%d): %d stored, %d skipped, %d quarantined",
		res.Lines, res.FirstSeq, res.LastSeq, res.Stored, res.Skipped, res.Quarantined)
	if readErr != nil {
		entry.Reason += "; stopped: " + readErr.Error()
	}
	if err := s.audited(r, c.user, entry, nil, nil); err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line, keeping at most max bytes of it (the rest is
// discarded and errLineTooLong returned with the kept start).
func readLine(rd *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	long := false
	for {
		part, err := rd.ReadSlice('\n')
		if len(line)+len(part) <= max {
			line = append(line, part...)
		} else {
			long = true
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if long && (err == nil || err == io.EOF) {
			return line, errLineTooLong
		}
		return line, err
	}
}

// basisParam reads "agreement=ID" or "authority=ID" from the query.
func basisParam(q map[string][]string) (ingest.Basis, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ag, au := get("agreement"), get("authority")
	if (ag == "") == (au == "") {
		return ingest.Basis{}, writ.Errorf(writ.EInvalid, "give the legal basis: agreement=ID or authority=ID")
	}
	kind, v := "agreement", ag
	if au != "" {
		kind, v = "authority", au
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return ingest.Basis{}, writ.Errorf(writ.EInvalid, "%s %q is not an id", kind, v)
	}
	return ingest.Basis{Kind: kind, ID: id}, nil
}
