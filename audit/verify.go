package audit

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/writhq/writ"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Report is the outcome of a verification.
type Report struct {
	OK          bool           `json:"ok"`
	Entries     int64          `json:"entries"`     // entries recomputed
	Hashes      int64          `json:"hashes"`      // stored hashes compared (0 for an export)
	Checkpoints int64          `json:"checkpoints"` // signed checkpoints checked
	Size        int64          `json:"size"`        // size of the latest valid checkpoint
	Root        tlog.Hash      `json:"root"`        // its root
	Checkpoint  string         `json:"checkpoint,omitempty"`
	Kept        int64          `json:"kept,omitempty"`        // size of the checkpoint verified against
	Consistency tlog.TreeProof `json:"consistency,omitempty"` // proof that Kept is a prefix of Size
	FirstBad    int64          `json:"first_bad"`             // -1 when OK
	Problem     string         `json:"problem,omitempty"`
}

// A TamperError says where verification failed: Index is the first entry
// that is missing, altered, out of place or not vouched for. When only a
// signed checkpoint catches the change (an entry rewritten together with all
// stored hashes), the fault is known to lie in the batch Index..Through
// between two checkpoints; otherwise Through == Index.
type TamperError struct {
	Index   int64
	Through int64
	Reason  string
}

func (e *TamperError) Error() string {
	if e.Through > e.Index {
		return fmt.Sprintf("audit entry %d: %s (the fault lies in entries %d..%d)", e.Index, e.Reason, e.Index, e.Through)
	}
	return fmt.Sprintf("audit entry %d: %s", e.Index, e.Reason)
}

// Unwrap makes a tampered log a writ conflict: the data contradicts what the
// log signed.
func (e *TamperError) Unwrap() error { return &writ.Error{Kind: writ.EConflict, Message: e.Error()} }

// BadEntry returns the first bad entry named by err, if err is a TamperError.
func BadEntry(err error) (int64, bool) {
	var te *TamperError
	if errors.As(err, &te) {
		return te.Index, true
	}
	return -1, false
}

func bad(index, through int64, format string, args ...any) *TamperError {
	return &TamperError{Index: index, Through: max(index, through), Reason: fmt.Sprintf(format, args...)}
}

// checker recomputes the tree from a stream of entries and checkpoints; the
// storage and the export verifiers feed it.
type checker struct {
	v      note.Verifier
	kept   *Checkpoint // a checkpoint an overseer kept, checked at its size
	front  frontier
	next   int64 // next entry index expected
	prevCk int64 // size of the last checkpoint checked
	rep    Report
}

func newChecker(v note.Verifier, kept *Checkpoint) *checker {
	c := &checker{v: v, kept: kept, front: newFrontier()}
	c.rep.FirstBad = -1
	if kept != nil {
		c.rep.Kept = kept.Size
	}
	return c
}

// hash checks that idx is the entry expected next and returns the stored
// hashes it implies.
func (c *checker) hash(idx int64, data []byte) ([]tlog.Hash, error) {
	switch {
	case idx > c.next:
		return nil, bad(c.next, c.next, "missing (the next entry found is %d)", idx)
	case idx < c.next:
		return nil, bad(idx, idx, "unexpected entry with index %d (expected %d)", idx, c.next)
	}
	hs, err := tlog.StoredHashesForRecordHash(idx, tlog.RecordHash(data), &c.front)
	if err != nil {
		return nil, fmt.Errorf("audit: recompute entry %d: %w", idx, err)
	}
	return hs, nil
}

// accept checks the entry's own index field and moves past it.
func (c *checker) accept(idx int64, data []byte, hs []tlog.Hash) error {
	got, err := leafIndex(data)
	if err != nil {
		return bad(idx, idx, "%v", err)
	}
	if got != idx {
		return bad(idx, idx, "entry says it is entry %d: entries were reordered or moved", got)
	}
	c.front.add(idx, hs)
	c.next++
	c.rep.Entries++
	if c.kept != nil && c.kept.Size == c.next {
		if root, _ := tlog.TreeHash(c.next, &c.front); root != c.kept.Root {
			return bad(0, c.next-1, "the log does not match the checkpoint you kept (size %d, root %s): it was rewritten and re-signed", c.kept.Size, c.kept.Root)
		}
	}
	return nil
}

// checkpoint checks a stored checkpoint of size entries, once the entries
// before it have been accepted.
func (c *checker) checkpoint(size int64, text string) error {
	batch := func(format string, args ...any) error {
		return bad(c.prevCk, size-1, format, args...)
	}
	switch {
	case size > c.next:
		return bad(c.next, size-1, "missing (a checkpoint of size %d comes right after entry %d)", size, c.next-1)
	case size < c.next:
		return bad(size, size, "a checkpoint of size %d is out of place, after entry %d", size, c.next-1)
	}
	ck, err := openCheckpoint(c.v, text)
	if err != nil {
		return batch("checkpoint of size %d is forged or damaged: %v", size, err)
	}
	if ck.Size != size {
		return batch("checkpoint stored as size %d is signed for size %d", size, ck.Size)
	}
	switch {
	case ck.Prev > c.prevCk:
		return bad(c.prevCk, ck.Prev-1, "the signed checkpoint of size %d is missing (the next one, of size %d, follows it)", ck.Prev, size)
	case ck.Prev < c.prevCk:
		return batch("checkpoint of size %d follows size %d, not %d: the checkpoint chain is broken", size, ck.Prev, c.prevCk)
	}
	root, _ := tlog.TreeHash(size, &c.front)
	if root != ck.Root {
		return batch("tree root %s does not match the signed checkpoint of size %d (root %s): an entry was altered and its hashes recomputed", root, size, ck.Root)
	}
	c.prevCk = size
	c.rep.Checkpoints++
	c.rep.Size, c.rep.Root, c.rep.Checkpoint = size, root, text
	return nil
}

// finish checks the end of the stream.
func (c *checker) finish() error {
	if c.next > c.prevCk {
		return bad(c.prevCk, c.next-1, "not covered by a signed checkpoint (the latest covers %d entries, the log has %d)", c.prevCk, c.next)
	}
	if c.kept != nil && c.kept.Size > c.next {
		return bad(c.next, c.kept.Size-1, "missing: the checkpoint you kept covers %d entries, the log has %d", c.kept.Size, c.next)
	}
	if c.kept != nil && c.kept.Size == 0 && c.kept.Root != emptyRoot() {
		return bad(0, 0, "the checkpoint you kept has size 0 but a non-empty root")
	}
	c.rep.OK = true
	return nil
}

func (c *checker) fail(err error) (*Report, error) {
	if te, ok := errors.AsType[*TamperError](err); ok {
		c.rep.FirstBad, c.rep.Problem = te.Index, te.Error()
	} else {
		c.rep.Problem = err.Error()
	}
	c.rep.OK = false
	return &c.rep, err
}

func emptyRoot() tlog.Hash { h, _ := tlog.TreeHash(0, nil); return h }

// Verify recomputes the whole log from its entries: every index present once
// and in order, every entry saying its own index, every stored hash, every
// signed checkpoint (signature, chain and root), and the latest checkpoint
// covering every entry. The first fault is returned as a *TamperError.
func (l *Log) Verify(ctx context.Context) (*Report, error) {
	return verifyStorage(ctx, l.store, l.keys.verifier, nil)
}

// VerifyStorage is Verify for someone who has the database and the public
// verifier key but not the log's secrets.
func VerifyStorage(ctx context.Context, s Storage, verifierKey string) (*Report, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "audit verifier key: %v", err)
	}
	return verifyStorage(ctx, s, v, nil)
}

// VerifyAgainst is Verify plus the check an overseer makes with a checkpoint
// kept from an earlier visit: the log at that size must have the kept root,
// and the latest checkpoint must extend it (the report carries the
// tlog.ProveTree consistency proof, to be checked with tlog.CheckTree). A
// checkpoint not signed by the log's key is rejected (writ.EInvalid).
func (l *Log) VerifyAgainst(ctx context.Context, checkpoint string) (*Report, error) {
	kept, err := openCheckpoint(l.keys.verifier, checkpoint)
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "checkpoint rejected: %v", err)
	}
	rep, err := verifyStorage(ctx, l.store, l.keys.verifier, kept)
	if err != nil || kept.Size == 0 {
		return rep, err
	}
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return l.store.ReadAuditHashes(ctx, ix) })
	if rep.Size > kept.Size {
		if rep.Consistency, err = tlog.ProveTree(rep.Size, kept.Size, r); err == nil {
			err = tlog.CheckTree(rep.Consistency, rep.Size, rep.Root, kept.Size, kept.Root)
		}
		if err != nil {
			rep.OK = false
			te := bad(0, kept.Size-1, "the latest checkpoint (size %d) does not extend the one you kept (size %d): %v", rep.Size, kept.Size, err)
			rep.FirstBad, rep.Problem = te.Index, te.Error()
			return rep, te
		}
	}
	return rep, nil
}

// verifyPage is how many entries verification reads at a time.
const verifyPage = 4096

type row struct {
	idx  int64
	data []byte
}

func verifyStorage(ctx context.Context, s Storage, v note.Verifier, kept *Checkpoint) (*Report, error) {
	c := newChecker(v, kept)
	n, err := s.AuditSize(ctx)
	if err != nil {
		return c.fail(err)
	}
	end := n
	if size, _, err := s.LatestAuditCheckpoint(ctx); err == nil {
		end = max(end, size)
	} else if writ.ErrorKind(err) != writ.ENotFound {
		return c.fail(err)
	}
	if kept != nil {
		end = max(end, kept.Size)
	}
	// Rows no append writes: negative indexes, and hashes past the end.
	stray := func(what string, through int64) func(int64, []byte) error {
		return func(idx int64, _ []byte) error {
			return bad(max(idx, 0), through, "stray %s row with index %d", what, idx)
		}
	}
	if err := s.ReadAuditEntries(ctx, math.MinInt64, 0, stray("entry", 0)); err != nil {
		return c.fail(err)
	}
	if err := s.ReadAuditHashRange(ctx, math.MinInt64, 0, stray("stored hash", 0)); err != nil {
		return c.fail(err)
	}
	if err := s.AuditCheckpoints(ctx, math.MinInt64, 0, func(size int64, _ string) error {
		return bad(0, 0, "stray checkpoint of size %d", size)
	}); err != nil {
		return c.fail(err)
	}
	var rows []row
	var stored [][]byte
	type ckRow struct {
		size int64
		note string
	}
	var cks []ckRow
	for lo := int64(0); lo < end; lo += verifyPage {
		hi := min(lo+verifyPage, end)
		rows, cks = rows[:0], cks[:0]
		if err := s.ReadAuditEntries(ctx, lo, hi, func(idx int64, data []byte) error {
			rows = append(rows, row{idx, data})
			return nil
		}); err != nil {
			return c.fail(err)
		}
		hlo, hhi := tlog.StoredHashCount(lo), tlog.StoredHashCount(hi)
		stored = append(stored[:0], make([][]byte, hhi-hlo)...)
		if err := s.ReadAuditHashRange(ctx, hlo, hhi, func(idx int64, h []byte) error {
			stored[idx-hlo] = h
			return nil
		}); err != nil {
			return c.fail(err)
		}
		if err := s.AuditCheckpoints(ctx, lo, hi, func(size int64, note string) error {
			cks = append(cks, ckRow{size, note})
			return nil
		}); err != nil {
			return c.fail(err)
		}
		ri, ci := 0, 0
		for idx := lo; idx < hi; idx++ {
			if ri >= len(rows) {
				return c.fail(bad(idx, idx, "missing (the last entry stored is %d)", n-1))
			}
			r := rows[ri]
			ri++
			hs, err := c.hash(r.idx, r.data)
			if err != nil {
				return c.fail(err)
			}
			if err := compareStored(r.idx, hs, stored, hlo); err != nil {
				return c.fail(err)
			}
			c.rep.Hashes += int64(len(hs))
			if err := c.accept(r.idx, r.data, hs); err != nil {
				return c.fail(err)
			}
			for ci < len(cks) && cks[ci].size == c.next {
				if err := c.checkpoint(cks[ci].size, cks[ci].note); err != nil {
					return c.fail(err)
				}
				ci++
			}
		}
	}
	if err := s.ReadAuditHashRange(ctx, tlog.StoredHashCount(end), math.MaxInt64, func(idx int64, _ []byte) error {
		return bad(end, end, "stray stored hash %d past the end of the log", idx)
	}); err != nil {
		return c.fail(err)
	}
	if err := c.finish(); err != nil {
		return c.fail(err)
	}
	return &c.rep, nil
}

// compareStored compares the hashes recomputed for entry idx with the stored
// ones (stored[i] holds stored hash hlo+i).
func compareStored(idx int64, hs []tlog.Hash, stored [][]byte, hlo int64) error {
	base := tlog.StoredHashCount(idx)
	for level, h := range hs {
		got := stored[base+int64(level)-hlo]
		switch {
		case got == nil && level == 0:
			return bad(idx, idx, "its stored leaf hash is missing")
		case got == nil:
			return bad(idx, idx, "stored tree hash (level %d, node %d) is missing", level, idx>>level)
		case string(got) != string(h[:]) && level == 0:
			return bad(idx, idx, "leaf hash does not match the stored hash: the entry's data was changed")
		case string(got) != string(h[:]):
			return bad(idx, idx, "stored tree hash (level %d, node %d, entries %d..%d) does not match the entries", level, idx>>level, (idx>>level)<<level, idx)
		}
	}
	return nil
}
