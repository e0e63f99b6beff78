package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/writhq/writ"
	"golang.org/x/mod/sumdb/note"
)

// An export is self-contained NDJSON (one JSON object a line) that an outside
// party verifies with nothing but the log's public key:
//
//	{"type":"header","format":"writ-audit-export","version":1,"origin":"…","key":"<name>+<hash>","entries":N,"exported_at":"…"}
//	{"type":"entry","index":0,"leaf":"<base64 of the exact leaf bytes>"}
//	{"type":"checkpoint","size":1,"note":"<signed checkpoint note>"}
//	…  every entry in index order, each checkpoint right after the entry that completes it
//	{"type":"end","entries":N,"checkpoints":K}
//
// "key" names the signing key (name and key hash, not the key itself: the
// verifier must bring its own copy of the public key). The end line catches
// an export cut short.
const (
	ExportFormat  = "writ-audit-export"
	ExportVersion = 1
)

type exportHeader struct {
	Type       string    `json:"type"`
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Origin     string    `json:"origin"`
	Key        string    `json:"key"`
	Entries    int64     `json:"entries"`
	ExportedAt time.Time `json:"exported_at"`
}

type exportEntry struct {
	Type  string `json:"type"`
	Index int64  `json:"index"`
	Leaf  []byte `json:"leaf"`
}

type exportCheckpoint struct {
	Type string `json:"type"`
	Size int64  `json:"size"`
	Note string `json:"note"`
}

type exportEnd struct {
	Type        string `json:"type"`
	Entries     int64  `json:"entries"`
	Checkpoints int64  `json:"checkpoints"`
}

// keyID is "<name>+<hash>" of a verifier: the first two fields of its key.
func keyID(v note.Verifier) string { return fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash()) }

// Export writes the log as stored, every entry and checkpoint, in the export
// format. It does not judge what it writes: a tampered log exports as
// tampered, and VerifyExport says where.
func (l *Log) Export(ctx context.Context, w io.Writer) error {
	n, err := l.store.AuditSize(ctx)
	if err != nil {
		return err
	}
	end := n
	if size, _, err := l.store.LatestAuditCheckpoint(ctx); err == nil {
		end = max(end, size)
	} else if writ.ErrorKind(err) != writ.ENotFound {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err = enc.Encode(exportHeader{Type: "header", Format: ExportFormat, Version: ExportVersion, Origin: l.Origin(),
		Key: keyID(l.keys.verifier), Entries: end, ExportedAt: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	var entries, cks int64
	type ckRow struct {
		size int64
		note string
	}
	var pending []ckRow
	writeCks := func(upto int64) error {
		for len(pending) > 0 && pending[0].size <= upto {
			if err := enc.Encode(exportCheckpoint{Type: "checkpoint", Size: pending[0].size, Note: pending[0].note}); err != nil {
				return err
			}
			pending = pending[1:]
			cks++
		}
		return nil
	}
	entry := func(idx int64, data []byte) error {
		if err := writeCks(idx); err != nil {
			return err
		}
		entries++
		return enc.Encode(exportEntry{Type: "entry", Index: idx, Leaf: data})
	}
	for lo := int64(0); lo < end; lo += verifyPage {
		hi := min(lo+verifyPage, end)
		before := entries
		err := l.store.AuditCheckpoints(ctx, lo, hi, func(size int64, note string) error {
			pending = append(pending, ckRow{size, note})
			return nil
		})
		if err != nil {
			return err
		}
		if err := l.store.ReadAuditEntries(ctx, lo, hi, entry); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		if entries > before {
			continue
		}
		// A whole page is missing, which only tampering does. Rather than walk
		// the empty index space up to a stray row at a huge index, write
		// whatever rows remain in one pass.
		err = l.store.AuditCheckpoints(ctx, hi, math.MaxInt64, func(size int64, note string) error {
			pending = append(pending, ckRow{size, note})
			return nil
		})
		if err != nil {
			return err
		}
		if err := l.store.ReadAuditEntries(ctx, hi, math.MaxInt64, entry); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		break
	}
	if err := writeCks(math.MaxInt64); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	if err := enc.Encode(exportEnd{Type: "end", Entries: entries, Checkpoints: cks}); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	return bw.Flush()
}

// VerifyExport checks an export with the log's public verifier key: the same
// recomputation as Verify (entries in order, each saying its own index, every
// checkpoint's signature, chain and root, every entry covered), from the
// export alone. The first fault is a *TamperError naming the entry.
func VerifyExport(r io.Reader, verifierKey string) (*Report, error) {
	return verifyExport(r, verifierKey, "")
}

// VerifyExportAgainst is VerifyExport plus a checkpoint the overseer kept: the
// export must contain it (the same root at its size).
func VerifyExportAgainst(r io.Reader, verifierKey, checkpoint string) (*Report, error) {
	return verifyExport(r, verifierKey, checkpoint)
}

func verifyExport(r io.Reader, verifierKey, kept string) (*Report, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "audit verifier key: %v", err)
	}
	var keptCk *Checkpoint
	if kept != "" {
		if keptCk, err = openCheckpoint(v, kept); err != nil {
			return nil, writ.Errorf(writ.EInvalid, "checkpoint rejected: %v", err)
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	if !sc.Scan() {
		return nil, writ.Errorf(writ.EInvalid, "audit export is empty")
	}
	var h exportHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Type != "header" || h.Format != ExportFormat {
		return nil, writ.Errorf(writ.EInvalid, "not a writ audit export (line 1 is not its header)")
	}
	if h.Version != ExportVersion {
		return nil, writ.Errorf(writ.EInvalid, "audit export version %d: this verifier reads version %d", h.Version, ExportVersion)
	}
	if h.Key != keyID(v) {
		return nil, writ.Errorf(writ.EInvalid, "audit export was signed by key %s, not by the key given (%s)", h.Key, keyID(v))
	}
	c := newChecker(v, keptCk)
	ended := false
	for line := 2; sc.Scan(); line++ {
		if err := c.exportLine(sc.Bytes(), line, &ended); err != nil {
			return c.fail(err)
		}
	}
	if err := sc.Err(); err != nil {
		return c.fail(bad(c.next, c.next, "export unreadable after entry %d: %v", c.next-1, err))
	}
	if !ended {
		return c.fail(bad(c.next, c.next, "export is cut short: no end line after entry %d", c.next-1))
	}
	if err := c.finish(); err != nil {
		return c.fail(err)
	}
	return &c.rep, nil
}

// exportLine checks one line after the header.
func (c *checker) exportLine(b []byte, line int, ended *bool) error {
	if *ended {
		return bad(c.next, c.next, "export line %d follows the end line", line)
	}
	var kind struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &kind); err != nil {
		return bad(c.next, c.next, "export line %d is not valid JSON: %v", line, err)
	}
	switch kind.Type {
	case "entry":
		var e exportEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return bad(c.next, c.next, "export line %d: bad entry line: %v", line, err)
		}
		hs, err := c.hash(e.Index, e.Leaf)
		if err != nil {
			return err
		}
		return c.accept(e.Index, e.Leaf, hs)
	case "checkpoint":
		var ck exportCheckpoint
		if err := json.Unmarshal(b, &ck); err != nil {
			return bad(c.next, c.next, "export line %d: bad checkpoint line: %v", line, err)
		}
		return c.checkpoint(ck.Size, ck.Note)
	case "end":
		var e exportEnd
		if err := json.Unmarshal(b, &e); err != nil {
			return bad(c.next, c.next, "export line %d: bad end line: %v", line, err)
		}
		if e.Entries != c.next || e.Checkpoints != c.rep.Checkpoints {
			return bad(min(e.Entries, c.next), c.next, "export ends claiming %d entries and %d checkpoints; it holds %d and %d",
				e.Entries, e.Checkpoints, c.next, c.rep.Checkpoints)
		}
		*ended = true
		return nil
	}
	return bad(c.next, c.next, "export line %d has unknown type %q", line, kind.Type)
}
