// Package ingest loads source files into writ: a mapping (JSON, see
// docs/ingest.md) says how rows of a CSV, TSV, JSON or NDJSON file (gzipped
// or not) become records, contacts, pings or plate reads; normalisers put
// values in canonical form; rows that cannot be stored are quarantined with
// the reason, never dropped. A file is cut into batches of N input rows,
// each committed once, with its quarantined rows and a marker, in one
// transaction: re-ingesting adds nothing, and a crash loses no committed
// batch and leaves no half batch.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/writhq/writ"
)

// DefaultBatchSize is how many input rows a batch holds, but for pings.
const DefaultBatchSize = 10000

// DefaultPingBatchSize is how many input rows a batch of pings holds.
// Pings come by the hundred million and are laid out in blocks per
// (device, day) and (hour, cell): in batches of 10,000 most blocks held a
// ping or two, and every hour was settled from a dozen batches. Batches of
// 50,000 took 100M pings from 481,742 to 677,879 pings/s; 100,000 gained
// little more and took half again as much memory (docs/ingest.md,
// "Performance").
const DefaultPingBatchSize = 50_000

// DefaultBatch is the batch size of a first run of a file of kind.
func DefaultBatch(kind writ.DataKind) int {
	if kind == writ.DataPings {
		return DefaultPingBatchSize
	}
	return DefaultBatchSize
}

// Basis is the legal basis an ingest run holds its data under.
type Basis struct {
	Kind string // "authority" or "agreement"
	ID   int64
}

// Options tune one ingest run.
type Options struct {
	Basis Basis
	// BatchSize is the rows per batch. Zero: the size the file was first
	// ingested with, if it was, else DefaultBatch of the mapping's kind.
	BatchSize int
	Strict    bool // fail on the first bad row, committing nothing of its batch
	MaxLine   int  // longest row in bytes; DefaultMaxLine if zero
	// Now is the observed_at of records whose mapping has none: when the
	// data was obtained. Zero: the start of the run.
	Now time.Time
	// Progress, if set, is called every ProgressEvery (default 250ms)
	// while the file is read, and once at the end with Done set.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Store is what ingestion needs of a store.
type Store interface {
	CommitBatch(ctx context.Context, b *writ.Batch) (writ.BatchResult, error)
	Batches(ctx context.Context, sourceKey string) ([]writ.BatchInfo, error)
}

// Settler is a store with work to finish once a run's batches are in:
// sqlstore merges the area blocks of the hours the run's pings touched
// (docs/pingblock.md). File calls Settle when it ends; a store wrapped in
// something else (lookout.Service.Wrap) is settled by whoever holds it.
type Settler interface {
	Settle(ctx context.Context) error
}

// Preparer is a store that can do the CPU part of committing a batch
// ahead of CommitBatch (sqlstore lays out pings in blocks). File calls
// PrepareBatch in its parsing goroutine, so that on two cores one batch is
// laid out while the one before is written.
type Preparer interface {
	PrepareBatch(b *writ.Batch)
}

// Summary is what an ingest run did.
type Summary struct {
	File        string           `json:"file"`
	SourceKey   string           `json:"source_key"`
	Dataset     string           `json:"dataset"`
	Kind        writ.DataKind    `json:"kind"`
	Gzip        bool             `json:"gzip"`
	Bytes       int64            `json:"bytes"`
	Read        int64            `json:"read"`        // input rows read (not the header or blank lines)
	Stored      int64            `json:"stored"`      // rows stored by this run
	Duplicates  int64            `json:"duplicates"`  // rows of batches an earlier run committed, skipped
	Quarantined int64            `json:"quarantined"` // rows quarantined by this run
	ByReason    map[string]int64 `json:"by_reason"`
	Batches     int              `json:"batches"`         // batches this run committed
	Skipped     int              `json:"batches_skipped"` // batches committed before
	Elapsed     time.Duration    `json:"elapsed_ns"`
}

// RowsPerSecond is the rate rows were read at.
func (s *Summary) RowsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Read) / s.Elapsed.Seconds()
}

// File ingests one file under m. It returns a summary even with an error:
// batches committed before the error stay committed, and running the same
// file again goes on where this run stopped.
func File(ctx context.Context, st Store, m *Mapping, path string, opt Options) (*Summary, error) {
	start := time.Now()
	if opt.MaxLine <= 0 {
		opt.MaxLine = DefaultMaxLine
	}
	if opt.Now.IsZero() {
		opt.Now = writ.Now()
	}
	s := &Summary{File: path, Dataset: m.Dataset, Kind: m.Kind, ByReason: map[string]int64{}}
	defer func() { s.Elapsed = time.Since(start) }()
	// One open file is hashed, then read from its start: the key is of
	// the bytes read, and a file that changes meanwhile is caught below.
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	key, size, err := sourceKey(f)
	if err != nil {
		return s, err
	}
	s.SourceKey, s.Bytes = key, size
	if size == 0 {
		return s, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return s, err
	}
	done, batch, err := committed(ctx, st, key, m, opt.BatchSize)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	opt.BatchSize = batch
	r := &run{st: st, m: m, opt: opt, s: s, done: done, file: &countingReader{r: f}}
	r.c.ByReason = map[string]int64{}
	if opt.Progress != nil {
		stop := r.progress(start)
		defer stop()
	}
	if err := r.read(ctx); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	if n := r.file.n.Load(); n != size {
		return s, fmt.Errorf("%s: the file changed while it was read (%d bytes hashed, %d read); run again on a file that is not being written", path, size, n)
	}
	if st, ok := st.(Settler); ok {
		if err := st.Settle(ctx); err != nil {
			return s, fmt.Errorf("%s: every batch is committed, but settling them failed: %w", path, err)
		}
	}
	return s, nil
}

// committed returns the batches of key committed before and the batch size
// of this run: size, or if size is zero the size those batches have (a
// re-run lines up with the first, whatever the defaults were then), or
// DefaultBatch. It refuses a run that would cut the file differently or
// file it under another dataset.
func committed(ctx context.Context, st Store, key string, m *Mapping, size int) (map[int64]bool, int, error) {
	bs, err := st.Batches(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	if size <= 0 {
		size = DefaultBatch(m.Kind)
		if len(bs) > 0 {
			size = bs[0].Size
		}
	}
	done := map[int64]bool{}
	for _, b := range bs {
		switch {
		case b.Size != size:
			return nil, 0, writ.Errorf(writ.EConflict, "this file was ingested before in batches of %d rows; run again with --batch %d so its batches line up", b.Size, b.Size)
		case b.Dataset != m.Dataset || b.Kind != m.Kind:
			return nil, 0, writ.Errorf(writ.EConflict, "this file was ingested before as %s dataset %q (batch %d); the same content is not ingested twice", b.Kind, b.Dataset, b.ID)
		}
		done[b.Number] = true
	}
	return done, size, nil
}

// run is one file's ingest in progress.
type run struct {
	st   Store
	m    *Mapping
	opt  Options
	s    *Summary
	done map[int64]bool
	file *countingReader
	rows atomic.Int64
	c    Summary // the committer goroutine's counts
}

// pending is a batch on its way to the store, with its quarantine reasons.
type pending struct {
	b       *writ.Batch
	reasons map[string]int64
}

// read parses the file and hands full batches to a committer goroutine
// (through a goroutine that lays them out, for a Preparer), so parsing and
// committing use a core each.
func (r *run) read(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan pending, 1)
	var commitErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := range ch {
			if commitErr != nil {
				continue
			}
			if err := r.commit(ctx, p); err != nil {
				commitErr = err
				cancel()
			}
		}
	}()
	// With a Preparer, a third goroutine lays out each batch between
	// parsing and committing, and the scheduler spreads the three stages
	// over the cores.
	in := ch
	if pr, ok := r.st.(Preparer); ok {
		in = make(chan pending, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ch)
			for p := range in {
				if ctx.Err() == nil { // a failed commit cancels ctx
					pr.PrepareBatch(p.b)
				}
				ch <- p
			}
		}()
	}
	err := r.parse(ctx, in)
	close(in)
	wg.Wait()
	r.s.Batches, r.s.Stored, r.s.Quarantined = r.c.Batches, r.c.Stored, r.c.Quarantined
	r.s.Skipped += r.c.Skipped
	r.s.Duplicates += r.c.Duplicates
	r.s.ByReason = r.c.ByReason
	if commitErr != nil {
		return commitErr
	}
	return err
}

// commit stores a batch; it runs on the committer goroutine and counts in r.c.
func (r *run) commit(ctx context.Context, p pending) error {
	res, err := r.st.CommitBatch(ctx, p.b)
	if err != nil {
		return fmt.Errorf("commit batch %d: %w", p.b.Number, err)
	}
	if !res.Committed { // another run committed it meanwhile
		r.c.Skipped++
		r.c.Duplicates += p.b.Read
		return nil
	}
	r.c.Batches++
	r.c.Stored += int64(res.Stored)
	r.c.Quarantined += int64(res.Quarantined)
	for k, v := range p.reasons {
		r.c.ByReason[k] += v
	}
	return nil
}

// parse reads rows, maps them, and sends each batch when the next begins.
func (r *run) parse(ctx context.Context, ch chan<- pending) error {
	plain, gz, err := decompress(r.file)
	if err != nil {
		return err
	}
	r.s.Gzip = gz
	content := &countingReader{r: plain}
	rd, header, err := newReader(r.m, skipBOM(content), r.opt.MaxLine)
	if err != nil {
		return err
	}
	mp, err := newMapper(r.m, header, r.opt.Now)
	if err != nil {
		return err
	}
	size := int64(r.opt.BatchSize)
	var cur pending
	var index, lastLine int64
	curN := int64(-1) // the batch being read
	send := func() error {
		if cur.b == nil {
			return nil
		}
		p := cur
		cur = pending{}
		select {
		case ch <- p:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		in, err := rd.next()
		if err == io.EOF {
			break
		}
		if in == nil {
			if err == nil {
				return fmt.Errorf("internal: reader returned no row and no error")
			}
			// The input ended, or broke, before any byte of this row.
			in = &row{line: lastLine + 1}
		}
		n := index / size
		index++
		r.rows.Store(index)
		r.s.Read++
		lastLine = in.line
		if n != curN {
			if err := send(); err != nil {
				return err
			}
			curN = n
			if r.done[n] {
				r.s.Skipped++
			}
		}
		if r.done[n] {
			r.s.Duplicates++
			if stop := r.fatal(err); stop != nil {
				return stop
			}
			continue
		}
		if cur.b == nil {
			cur = pending{b: r.newBatch(n, mp), reasons: map[string]int64{}}
		}
		cur.b.Read++
		bad := rowError(err)
		if bad == nil && err != nil {
			bad = &RowError{Reason: ReasonTruncated, Detail: err.Error()}
		}
		if bad == nil {
			if bad = mp.load(in); bad == nil {
				bad = mp.appendRow(cur.b, writ.Provenance{Offset: in.line, ContentHash: hash(in.raw)})
			}
		}
		if bad != nil {
			if r.opt.Strict {
				return fmt.Errorf("line %d: %w (--strict: batch %d not committed)", in.line, bad, n)
			}
			cur.b.Quarantine = append(cur.b.Quarantine, quarantined(in, bad))
			cur.reasons[bad.Reason]++
		}
		if stop := r.fatal(err); stop != nil {
			if err := send(); err != nil {
				return err
			}
			return stop
		}
	}
	if err := send(); err != nil {
		return err
	}
	if content.n.Load() == 0 {
		return ErrEmpty
	}
	return nil
}

// fatal returns the error that ends the file, if err is one: a read error
// (truncated input) or a bad row after which the input cannot be read.
func (r *run) fatal(err error) error {
	var f *fatalRow
	switch {
	case err == nil, err == io.EOF:
		return nil
	case errors.As(err, &f):
		return f.RowError
	case isRowErr(err):
		return nil
	}
	return err
}

func (r *run) newBatch(n int64, mp *Mapper) *writ.Batch {
	b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: r.s.SourceKey, Number: n, Size: r.opt.BatchSize,
		Dataset: r.m.Dataset, Source: r.s.File, Kind: r.m.Kind, BasisKind: r.opt.Basis.Kind, BasisID: r.opt.Basis.ID},
		Fields: mp.schema}
	// Room for a whole batch up front: growing the slice row by row cost
	// more than the rows themselves.
	size := min(r.opt.BatchSize, 1<<16)
	switch r.m.Kind {
	case writ.DataPings:
		b.Pings = make([]writ.Ping, 0, size)
	case writ.DataContacts:
		b.Contacts = make([]writ.Contact, 0, size)
	case writ.DataPlateReads:
		b.PlateReads = make([]writ.PlateRead, 0, size)
	case writ.DataRecords:
		b.Records = make([]writ.Record, 0, size)
	}
	return b
}

func isRowErr(err error) bool {
	var re *RowError
	return errors.As(err, &re)
}

func rowError(err error) *RowError {
	var re *RowError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

func quarantined(r *row, bad *RowError) writ.QuarantinedRow {
	raw := r.raw
	if len(raw) > writ.MaxQuarantineRaw {
		raw = raw[:writ.MaxQuarantineRaw]
	}
	size := r.size
	if size < int64(len(r.raw)) {
		size = int64(len(r.raw))
	}
	return writ.QuarantinedRow{Offset: r.line, Field: bad.Field, Reason: bad.Reason, Detail: bad.Detail,
		Raw: append([]byte(nil), raw...), RawSize: size}
}

// hash is the content hash of a row: hex SHA-256 of its bytes as read.
func hash(raw []byte) string {
	h := sha256.Sum256(raw)
	var x [2 * sha256.Size]byte // on the stack: one allocation a row, the string's
	hex.Encode(x[:], h[:])
	return string(x[:])
}
