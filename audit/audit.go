// Package audit is writ's tamper-evident audit log: every decision of the
// scope gate, granted or denied, appended to a Merkle tree (RFC 6962, as
// golang.org/x/mod/sumdb/tlog computes it) whose heads are signed checkpoints
// (golang.org/x/mod/sumdb/note). Anyone holding the public verifier key can
// check the log, or an export of it, and find any changed, removed or
// reordered entry. docs/audit.md describes the formats.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/writhq/writ"
	"golang.org/x/mod/sumdb/tlog"
)

// Storage keeps the log's rows; *sqlstore.DB implements it. Ranges are
// half-open by index ([from, to)), checkpoint ranges by size ((from, to]).
type Storage interface {
	// AuditSize is one past the highest entry index stored.
	AuditSize(ctx context.Context) (int64, error)
	// AppendAudit stores entries first.. with their leaf data, the stored
	// hashes from tlog.StoredHashCount(first) on, and the checkpoint for the
	// new size, in one transaction. It fails with writ.EConflict unless the
	// log ends at first-1.
	AppendAudit(ctx context.Context, first int64, leaves [][]byte, hashes []tlog.Hash, checkpoint string) error
	ReadAuditEntries(ctx context.Context, from, to int64, fn func(idx int64, data []byte) error) error
	ReadAuditHashRange(ctx context.Context, from, to int64, fn func(idx int64, hash []byte) error) error
	// ReadAuditHashes returns the hashes at indexes in order, ENotFound if one is missing.
	ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	AuditCheckpoints(ctx context.Context, from, to int64, fn func(size int64, note string) error) error
	// LatestAuditCheckpoint is ENotFound when there is none.
	LatestAuditCheckpoint(ctx context.Context) (size int64, note string, err error)
}

// Log is the audit log. It implements writ.Auditor: Record returns once the
// entry is committed to the database with the rest of its batch.
type Log struct {
	store Storage
	keys  *keys
	log   *slog.Logger

	mu     sync.RWMutex // held for reading while sending on reqs; Close takes it to close reqs
	closed bool
	reqs   chan *request
	done   chan struct{}

	// Writer state, owned by the writer goroutine.
	size   int64    // entries in the log
	front  frontier // right edge of the tree of size entries
	broken error    // set when the stored log does not match its checkpoint: refuse to append
	salter *salter
	leaves [][]byte    // scratch for one batch
	hashes []tlog.Hash // scratch for one batch
}

var _ writ.Auditor = (*Log)(nil)

const (
	maxBatch     = 4096                   // entries in one group commit
	queueLen     = 4096                   // Record calls waiting for the writer
	writeTimeout = 30 * time.Second       // one batch's transaction
	maxConflicts = 50                     // reload-and-retry rounds when other writers append first
	lingerMax    = 500 * time.Microsecond // longest a batch waits for company
)

// request is one Record call waiting for the writer.
type request struct {
	e    writ.AuditEntry // a copy: the writer fills in Index, Time, Selectors
	raw  []string        // selector text to commit to
	leaf []byte          // scratch for the leaf data
	err  error
	done chan struct{}
}

var requests = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

// Open loads the keys in dir and the state of the log in store, and starts
// the writer. If the stored log does not end where its latest checkpoint
// says, Open still succeeds, so that Verify can say what is wrong, but Record
// fails: the log refuses to append to a tree it cannot vouch for.
func Open(ctx context.Context, store Storage, dir string) (*Log, error) {
	k, err := loadKeys(dir)
	if err != nil {
		return nil, err
	}
	l := &Log{
		store:  store,
		keys:   k,
		salter: newSalter(k.commitKey),
		log:    slog.Default().With("component", "audit", "log", k.signer.Name()),
		reqs:   make(chan *request, queueLen),
		done:   make(chan struct{}),
	}
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	if l.broken != nil {
		l.log.Error("audit log is inconsistent; appends refused until it is repaired", "err", l.broken)
	}
	go l.run()
	return l, nil
}

// VerifierKey returns the public key that verifies the log's checkpoints
// (also in VerifierKeyFile in the data directory).
func (l *Log) VerifierKey() string { return l.keys.vkey }

// Origin returns the log's name, the first line of its checkpoints.
func (l *Log) Origin() string { return l.keys.signer.Name() }

// Close flushes the entries already handed to Record and stops the writer.
func (l *Log) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.reqs)
	}
	l.mu.Unlock()
	<-l.done
	return nil
}

// Record appends e to the log and returns its index once the entry is
// durable. It sets e.Index and e.Time (if zero) and replaces e.RawSelectors
// (and any text in e.Selectors) with salted commitments. If ctx ends first
// Record returns ctx.Err(): the caller must then act as if nothing was
// recorded (and return no data), though the entry may still be committed.
func (l *Log) Record(ctx context.Context, e *writ.AuditEntry) (int64, error) {
	if err := validate(e); err != nil {
		return -1, err
	}
	r := requests.Get().(*request)
	r.e, r.err = *e, nil
	r.raw = rawSelectors(e, r.raw[:0])
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		requests.Put(r)
		return -1, writ.Errorf(writ.EInternal, "audit log is closed")
	}
	select {
	case l.reqs <- r:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		requests.Put(r)
		return -1, ctx.Err()
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return -1, ctx.Err() // r still belongs to the writer; it is not reused
	}
	if err := r.err; err != nil {
		requests.Put(r)
		return -1, err
	}
	e.Index, e.Time, e.From, e.To = r.e.Index, r.e.Time, r.e.From, r.e.To
	e.Selectors, e.RawSelectors = r.e.Selectors, nil
	r.e = writ.AuditEntry{}
	requests.Put(r)
	return e.Index, nil
}

// run is the writer: it takes every request waiting, commits them as one
// batch and releases them (group commit), until Close.
func (l *Log) run() {
	defer close(l.done)
	batch := make([]*request, 0, 256)
	for r := range l.reqs {
		batch = l.collect(append(batch[:0], r))
		err := l.append(batch)
		for _, r := range batch {
			r.err = err
			r.done <- struct{}{}
		}
		clear(batch)
	}
}

// collect adds the requests waiting to batch. While they keep arriving it
// yields the processor and looks again, up to lingerMax: callers released
// by the last commit are about to come back, and one batch for all of them
// costs one fsync instead of two (like PostgreSQL's commit_delay, but only
// when there is company).
func (l *Log) collect(batch []*request) []*request {
	drain := func() int {
		n := 0
		for len(batch) < maxBatch {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					return n
				}
				batch = append(batch, r)
				n++
			default:
				return n
			}
		}
		return n
	}
	if drain() == 0 {
		return batch
	}
	for deadline := time.Now().Add(lingerMax); len(batch) < maxBatch && time.Now().Before(deadline); {
		runtime.Gosched()
		if drain() == 0 {
			break
		}
	}
	return batch
}

// append commits a batch: its entries, their stored hashes and a signed
// checkpoint of the new tree, in one transaction. When another writer got
// there first it reloads the tree and assigns new indexes.
func (l *Log) append(batch []*request) error {
	for attempt := 0; ; attempt++ {
		if l.broken != nil {
			return writ.Errorf(writ.EInternal, "audit log refuses to append: %v", l.broken)
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		front, size, err := l.prepare(batch)
		if err == nil {
			var ck string
			root, _ := tlog.TreeHash(size, &front) // the frontier holds all it reads
			ck, err = sign(l.keys.signer, size, root, l.size, time.Now())
			if err == nil {
				err = l.store.AppendAudit(ctx, l.size, l.leaves, l.hashes, ck)
			}
		}
		if err == nil {
			l.size, l.front = size, front
			cancel()
			return nil
		}
		if writ.ErrorKind(err) != writ.EConflict || attempt >= maxConflicts {
			cancel()
			return fmt.Errorf("audit: append %d entries: %w", len(batch), err)
		}
		err = l.load(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("audit: reload after a concurrent append: %w", err)
		}
	}
}

// prepare gives the batch indexes from l.size on, seals the entries and
// computes their leaves and stored hashes into l.leaves and l.hashes.
func (l *Log) prepare(batch []*request) (frontier, int64, error) {
	front := l.front
	now := writ.Now()
	l.leaves, l.hashes = l.leaves[:0], l.hashes[:0]
	for i, r := range batch {
		idx := l.size + int64(i)
		r.e.Index = idx
		normalize(&r.e, now)
		l.salter.commit(idx, r.raw, &r.e)
		var err error
		if r.leaf, err = encodeLeaf(r.leaf[:0], &r.e); err != nil {
			return front, 0, err
		}
		hs, err := tlog.StoredHashesForRecordHash(idx, tlog.RecordHash(r.leaf), &front)
		if err != nil {
			return front, 0, fmt.Errorf("audit: hashes for entry %d: %w", idx, err)
		}
		front.add(idx, hs)
		l.leaves = append(l.leaves, r.leaf)
		l.hashes = append(l.hashes, hs...)
	}
	return front, l.size + int64(len(batch)), nil
}

// load reads the size of the log and the right edge of its tree, and checks
// them against the latest checkpoint. The reads are separate statements, so
// a checkpoint newer than the size read is another writer's append landing
// in between: read again.
func (l *Log) load(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		size, front, err := l.readTree(ctx)
		if err != nil {
			return err
		}
		ahead, broken := l.checkHead(ctx, size, &front)
		if ahead && attempt < 20 {
			continue
		}
		l.size, l.front, l.broken = size, front, broken
		return nil
	}
}

// readTree reads the size of the log and the right edge of its tree.
func (l *Log) readTree(ctx context.Context) (int64, frontier, error) {
	front := newFrontier()
	size, err := l.store.AuditSize(ctx)
	if err != nil {
		return 0, front, fmt.Errorf("audit: load: %w", err)
	}
	indexes, levels := frontierIndexes(size)
	hs, err := l.store.ReadAuditHashes(ctx, indexes)
	if err != nil && writ.ErrorKind(err) != writ.ENotFound {
		return 0, front, fmt.Errorf("audit: load: %w", err)
	}
	for i, h := range hs {
		front.n[levels[i]], front.h[levels[i]] = size>>levels[i]-1, h
	}
	return size, front, nil // missing hashes leave the frontier short: checkHead reports it
}

// checkHead compares the tree the writer would extend with the latest
// signed checkpoint. ahead reports a checkpoint newer than size.
func (l *Log) checkHead(ctx context.Context, size int64, front *frontier) (ahead bool, broken error) {
	cksize, text, err := l.store.LatestAuditCheckpoint(ctx)
	if writ.ErrorKind(err) == writ.ENotFound {
		if size == 0 {
			return false, nil
		}
		return false, fmt.Errorf("%d entries but no checkpoint; run verify", size)
	} else if err != nil {
		return false, err
	}
	ck, err := openCheckpoint(l.keys.verifier, text)
	if err != nil {
		return false, fmt.Errorf("latest checkpoint (size %d): %v; run verify", cksize, err)
	}
	if ck.Size != size {
		return ck.Size > size, fmt.Errorf("the log has %d entries but its latest checkpoint covers %d; run verify", size, ck.Size)
	}
	root, err := tlog.TreeHash(size, front)
	if err != nil {
		return false, fmt.Errorf("the tree's stored hashes are incomplete (%v); run verify", err)
	}
	if root != ck.Root {
		return false, fmt.Errorf("the tree root does not match the latest checkpoint (size %d); run verify", size)
	}
	return false, nil
}
