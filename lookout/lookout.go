// Package lookout runs standing queries that alert: lookouts are kept in an
// index keyed by what they watch (phone, device, plate, S2 cell, record
// attribute), so each ingested event costs a few map lookups however many
// lookouts there are. A candidate alert fires only if the gate still allows
// its lookout's read (authority approved, in force, not revoked; user on the
// roster), once per lookout and event, within the lookout's rate limit; it
// is stored, audited, and then delivered in app (Server-Sent Events), by
// e-mail and by signed webhook. See docs/lookouts.md.
package lookout

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/scope"
)

// Store is what the lookout service needs of a store: lookouts and alerts,
// the gate's facts, and the grant-clipped reads of retroactive checks.
type Store interface {
	writ.LookoutStore
	scope.FactLoader
	AuthorityByID(ctx context.Context, id int64) (*writ.Authority, error)
	Contacts(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Contact, error)
	Pings(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Ping, error)
	PlateReads(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.PlateRead, error)
	Records(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Record, error)
}

// Config is what a Service is built from.
type Config struct {
	Store Store
	Gate  *scope.Gate
	Audit writ.Auditor
	// Mail sends alerts by e-mail; nil: lookouts' e-mail addresses are not used.
	Mail *Mailer
	// Webhook tunes webhook delivery; zero values take defaults.
	Webhook WebhookOptions
	// Secret keys the pseudonymous tokens of area lookouts that name no
	// selector; empty: random per process.
	Secret []byte
	Logger *slog.Logger
	// Now is the clock; nil: writ.Now.
	Now func() time.Time
	// Async fires alerts on a goroutine of the service's, in commit order,
	// instead of before CommitBatch returns: ingest then pays only for
	// matching. A process that dies between a commit and its firing loses
	// that batch's alerts (a retroactive check finds them again). Flush
	// waits for the alerts of batches committed so far.
	Async bool
}

// Service creates lookouts, matches committed batches against them, and
// fires and delivers their alerts.
type Service struct {
	cfg   Config
	store Store
	gate  *scope.Gate
	log   *slog.Logger
	now   func() time.Time
	Hub   *Hub

	idx       atomic.Pointer[Index]
	mu        sync.Mutex // guards m (matching state) and index rebuilds
	m         *matcher
	rates     *limiter
	pmu       sync.Mutex
	published map[int64]bool // alert ids Watch must not publish (ours, or seen), pruned behind its window
	watching  atomic.Bool
	amu       sync.Mutex
	auths     map[int64]*writ.Authority // stored authorities, for their fixed fields
	hooks     *webhooks
	mailq     chan mailJob
	fireq     chan fireJob
	wg        sync.WaitGroup // mail worker
	fwg       sync.WaitGroup // async firing
	closed    chan struct{}
}

// New returns a service; call Reload to index the stored lookouts, and
// Close to stop its delivery workers.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = writ.Now
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		rand.Read(cfg.Secret)
	}
	s := &Service{cfg: cfg, store: cfg.Store, gate: cfg.Gate, now: cfg.Now, Hub: NewHub(),
		log: cfg.Logger.With("component", "lookout"), m: newMatcher(cfg.Secret), rates: newLimiter(),
		mailq: make(chan mailJob, 1024), closed: make(chan struct{}), auths: map[int64]*writ.Authority{}, published: map[int64]bool{}}
	s.idx.Store(newIndex())
	s.hooks = newWebhooks(s, cfg.Webhook)
	if cfg.Mail != nil {
		s.wg.Add(1)
		go s.mailLoop()
	}
	if cfg.Async {
		s.fireq = make(chan fireJob, 64)
		s.fwg.Add(1)
		go s.fireLoop()
	}
	return s
}

// fireJob is a batch's candidates, or (done set) a Flush marker.
type fireJob struct {
	cands []candidate
	done  chan struct{}
}

func (s *Service) fireLoop() {
	defer s.fwg.Done()
	for j := range s.fireq {
		// Fire everything queued meanwhile together: one transaction and
		// one gate check per lookout, so a backlog clears instead of growing.
		cands, done := j.cands, []chan struct{}{j.done}
		for more := true; more; {
			select {
			case k, ok := <-s.fireq:
				if !ok {
					more = false
					break
				}
				cands, done = append(cands, k.cands...), append(done, k.done)
			default:
				more = false
			}
		}
		if len(cands) > 0 {
			if err := s.fire(context.Background(), cands); err != nil {
				s.log.Error("firing committed batches' alerts failed", "err", err, "candidates", len(cands))
			}
		}
		for _, d := range done {
			if d != nil {
				close(d)
			}
		}
	}
}

// Flush waits until the alerts of every batch observed so far are fired
// (Async only; otherwise they are fired before Observe returns).
func (s *Service) Flush() {
	if s.fireq == nil {
		return
	}
	d := make(chan struct{})
	s.fireq <- fireJob{done: d}
	<-d
}

// Close stops the delivery workers after the queued e-mails are sent and
// the webhooks in flight are done (or dead-lettered).
func (s *Service) Close() {
	select {
	case <-s.closed:
		return
	default:
	}
	if s.fireq != nil {
		close(s.fireq)
		s.fwg.Wait()
	}
	close(s.closed)
	close(s.mailq)
	s.wg.Wait()
	s.hooks.wait()
}

// Index returns the current index.
func (s *Service) Index() *Index { return s.idx.Load() }

// Reload rebuilds the index from the store's active lookouts and their
// authorities. Lookout changes through the service call it themselves.
func (s *Service) Reload(ctx context.Context) error {
	ls, err := s.store.ListLookouts(ctx, writ.LookoutFilter{Status: writ.LookoutActive})
	if err != nil {
		return err
	}
	auths := map[int64]*writ.Authority{}
	x := newIndex()
	for _, l := range ls {
		a, ok := auths[l.AuthorityID]
		if !ok {
			if a, err = s.store.AuthorityByID(ctx, l.AuthorityID); err != nil && writ.ErrorKind(err) != writ.ENotFound {
				return err
			}
			auths[l.AuthorityID] = a
			if a != nil {
				s.amu.Lock()
				s.auths[a.ID] = a
				s.amu.Unlock()
			}
		}
		x.add(l, a)
	}
	s.mu.Lock()
	s.idx.Store(x)
	s.mu.Unlock()
	return nil
}

// Observe matches a committed batch against the index and fires what
// matched. A batch that was committed before (res.Committed false) matches
// nothing: its events fired when it was first committed.
func (s *Service) Observe(ctx context.Context, b *writ.Batch, res writ.BatchResult) error {
	if !res.Committed || res.Stored == 0 {
		return nil
	}
	x := s.idx.Load()
	if x.n == 0 {
		return nil
	}
	s.mu.Lock()
	cands := s.m.batch(x, b, s.now())
	s.mu.Unlock()
	if len(cands) == 0 {
		return nil
	}
	if s.fireq != nil {
		s.fireq <- fireJob{cands: cands} // a full queue holds ingest back
		return nil
	}
	return s.fire(ctx, cands)
}

// Wrap returns st with every committed batch passed to Observe, for the
// ingest command, live feeds and streamed ingest. Matching failures are
// logged, not returned: the batch is committed whatever the lookouts do.
func (s *Service) Wrap(st ingest.Store) ingest.Store { return &observed{Store: st, s: s} }

type observed struct {
	ingest.Store
	s *Service
}

func (o *observed) CommitBatch(ctx context.Context, b *writ.Batch) (writ.BatchResult, error) {
	res, err := o.Store.CommitBatch(ctx, b)
	if err == nil {
		if oerr := o.s.Observe(ctx, b, res); oerr != nil {
			o.s.log.Error("lookout matching failed for a committed batch", "err", oerr, "batch", res.ID)
		}
	}
	return res, err
}

// PrepareBatch and Settle pass through to a store that has them
// (ingest.Preparer, ingest.Settler), so a wrapped store ingests as fast and
// leaves its pings as settled as the store alone.
func (o *observed) PrepareBatch(b *writ.Batch) {
	if p, ok := o.Store.(ingest.Preparer); ok {
		p.PrepareBatch(b)
	}
}

func (o *observed) Settle(ctx context.Context) error {
	if st, ok := o.Store.(ingest.Settler); ok {
		return st.Settle(ctx)
	}
	return nil
}
