package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/writhq/writ"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint returns the latest signed checkpoint: what an overseer keeps
// to check the log against later. For an empty log it is a freshly signed
// checkpoint of the empty tree.
func (l *Log) Checkpoint(ctx context.Context) (string, error) {
	ck, err := l.latest(ctx)
	if writ.ErrorKind(err) == writ.ENotFound {
		return sign(l.keys.signer, 0, emptyRoot(), 0, time.Now())
	} else if err != nil {
		return "", err
	}
	return ck.Note, nil
}

// latest returns the latest stored checkpoint, checked: the log never hands
// out a checkpoint its own key does not verify.
func (l *Log) latest(ctx context.Context) (*Checkpoint, error) {
	size, text, err := l.store.LatestAuditCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	ck, err := openCheckpoint(l.keys.verifier, text)
	if err != nil {
		return nil, writ.Errorf(writ.EInternal, "latest audit checkpoint (size %d) does not verify: %v; run verify", size, err)
	}
	return ck, nil
}

// Entries lists entries in index order from f.From, keeping those that match
// f.CaseID and f.Actor, at most f.Limit (default 100, at most 1000). The next
// page starts after the last index returned.
func (l *Log) Entries(ctx context.Context, f writ.AuditFilter) ([]writ.AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	size, err := l.store.AuditSize(ctx)
	if err != nil {
		return nil, err
	}
	var out []writ.AuditEntry
	for lo := max(f.From, 0); lo < size && len(out) < limit; lo += verifyPage {
		n := 0
		err := l.store.ReadAuditEntries(ctx, lo, min(lo+verifyPage, size), func(idx int64, data []byte) error {
			n++
			if len(out) >= limit {
				return nil
			}
			e, err := DecodeEntry(data)
			if err != nil {
				return fmt.Errorf("audit entry %d: %w", idx, err)
			}
			if (f.CaseID == 0 || e.CaseID == f.CaseID) && (f.Actor == 0 || e.ActorID == f.Actor) {
				out = append(out, *e)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break // a gap of a whole page: only tampering makes one; Verify says where
		}
	}
	return out, nil
}

// Proof shows that one entry is in the tree of a signed checkpoint.
type Proof struct {
	Index      int64            `json:"index"`
	Size       int64            `json:"size"`       // the checkpoint's tree size
	Checkpoint string           `json:"checkpoint"` // the signed checkpoint it was made for
	Entry      []byte           `json:"entry"`      // the entry's exact leaf data
	Hashes     tlog.RecordProof `json:"hashes"`     // RFC 6962 audit path
}

// Prove returns the inclusion proof of entry index in the latest checkpoint.
func (l *Log) Prove(ctx context.Context, index int64) (*Proof, error) {
	ck, err := l.latest(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= ck.Size {
		return nil, writ.Errorf(writ.ENotFound, "audit entry %d is not in the latest checkpoint (size %d)", index, ck.Size)
	}
	p := &Proof{Index: index, Size: ck.Size, Checkpoint: ck.Note}
	err = l.store.ReadAuditEntries(ctx, index, index+1, func(_ int64, data []byte) error { p.Entry = data; return nil })
	if err != nil {
		return nil, err
	}
	if p.Entry == nil {
		return nil, bad(index, index, "missing")
	}
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return l.store.ReadAuditHashes(ctx, ix) })
	if p.Hashes, err = tlog.ProveRecord(ck.Size, index, r); err != nil {
		return nil, fmt.Errorf("audit: prove entry %d: %w", index, err)
	}
	// Hand out only proofs that hold: a failure here means tampering.
	if err := tlog.CheckRecord(p.Hashes, ck.Size, ck.Root, index, tlog.RecordHash(p.Entry)); err != nil {
		return nil, bad(index, index, "no valid inclusion proof in the checkpoint of size %d: the entry or the stored hashes were changed", ck.Size)
	}
	return p, nil
}

// CheckProof checks, with nothing but the log's public key, that entry
// (exact leaf data) is entry p.Index of the tree signed in checkpoint.
func CheckProof(verifierKey, checkpoint string, entry []byte, p *Proof) error {
	ck, err := OpenCheckpoint(verifierKey, checkpoint)
	if err != nil {
		return writ.Errorf(writ.EInvalid, "checkpoint rejected: %v", err)
	}
	if p == nil || p.Index < 0 || p.Index >= ck.Size {
		return writ.Errorf(writ.EInvalid, "proof is not for an entry of the checkpoint (size %d)", ck.Size)
	}
	if err := tlog.CheckRecord(p.Hashes, ck.Size, ck.Root, p.Index, tlog.RecordHash(entry)); err != nil {
		return writ.Errorf(writ.EInvalid, "audit entry %d is not in the checkpoint of size %d: %v", p.Index, ck.Size, err)
	}
	if idx, err := leafIndex(entry); err != nil || idx != p.Index {
		return writ.Errorf(writ.EInvalid, "audit entry %d: the entry data does not say it is entry %d", p.Index, p.Index)
	}
	return nil
}
