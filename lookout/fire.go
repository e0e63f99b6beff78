package lookout

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

// fire turns candidates into alerts: each lookout's read is decided again
// by the gate's rules on fresh facts (so a revoked or expired authority, a
// closed case or a user off the roster stops it at once), then the rate
// limit marks the excess suppressed, the store keeps each (lookout, event)
// once, each new alert is audited, and only then is it delivered.
func (s *Service) fire(ctx context.Context, cands []candidate) error {
	now := s.now()
	allowed := map[int64]bool{}
	type span struct{ from, to time.Time }
	spans := map[int64]*span{}
	for _, c := range cands {
		sp := spans[c.e.l.ID]
		if sp == nil {
			spans[c.e.l.ID] = &span{c.a.EventAt, c.a.EventAt}
			continue
		}
		sp.from, sp.to = minTime(sp.from, c.a.EventAt), maxTime(sp.to, c.a.EventAt)
	}
	byID := map[int64]*entry{}
	for _, c := range cands {
		byID[c.e.l.ID] = c.e
	}
	// Lookouts of one user, case and authority share their facts.
	type key struct{ user, kase, auth int64 }
	facts := map[key]*scope.Facts{}
	for id, e := range byID {
		// The read asked of the gate is the events' span; it ends just after
		// the last event, but never past the authority's window.
		sp := spans[id]
		k := key{e.l.CreatedBy, e.l.CaseID, e.l.AuthorityID}
		f, ok := facts[k]
		if !ok {
			var err error
			if f, err = s.facts(ctx, e.l); err != nil {
				return err
			}
			facts[k] = f
		}
		err := scope.Evaluate(f, requestOf(e.l, sp.from, minTime(sp.to.Add(time.Microsecond), e.to), "lookout.alert"), now)
		if err != nil && writ.ErrorKind(err) != writ.EForbidden {
			return err
		}
		allowed[id] = err == nil
		if err != nil {
			s.log.Info("lookout held back by the gate", "lookout", id, "rule", writ.ErrorRule(err))
		}
	}
	var alerts []*writ.Alert
	var kept []candidate
	for _, c := range cands {
		if allowed[c.e.l.ID] {
			alerts, kept = append(alerts, c.a), append(kept, c)
		}
	}
	if len(alerts) == 0 {
		return nil
	}
	// The rate is decided before storing, so a suppressed alert is stored
	// as such; an alert that fired before gives its token back.
	for _, c := range kept {
		c.a.Suppressed = !s.rates.allow(c.e.l.ID, c.e.l.RatePerHour, now)
	}
	if err := s.store.InsertAlerts(ctx, alerts); err != nil {
		return fmt.Errorf("store alerts: %w", err)
	}
	var fresh []candidate
	for _, c := range kept {
		if c.a.ID != 0 {
			fresh = append(fresh, c)
		} else if !c.a.Suppressed {
			s.rates.refund(c.e.l.ID, c.e.l.RatePerHour)
		}
	}
	if s.watching.Load() { // Watch must not publish these a second time
		s.pmu.Lock()
		for _, c := range fresh {
			s.published[c.a.ID] = true
		}
		s.pmu.Unlock()
	}
	return s.deliver(ctx, fresh)
}

// allows applies the gate's rules to l's read of [from, to) at now, on
// facts read fresh from the store.
func (s *Service) allows(ctx context.Context, l *writ.Lookout, from, to, now time.Time) error {
	f, err := s.facts(ctx, l)
	if err != nil {
		return err
	}
	return scope.Evaluate(f, requestOf(l, from, to, "lookout.alert"), now)
}

// StateLoader is an optional fast path of a store: the gate's facts with
// only the authority's mutable fields (status, approval, expiry). The
// service adds the rest (selectors, window, area, categories: fixed once
// an authority is stored) from its cache, so an authority naming thousands
// of selectors is not decoded before every alert.
type StateLoader interface {
	LookoutState(ctx context.Context, userID, caseID, authorityID int64) (*scope.Facts, error)
}

func (s *Service) facts(ctx context.Context, l *writ.Lookout) (*scope.Facts, error) {
	sl, ok := s.store.(StateLoader)
	if !ok {
		return s.store.GateFacts(ctx, l.CreatedBy, l.CaseID, l.AuthorityID)
	}
	f, err := sl.LookoutState(ctx, l.CreatedBy, l.CaseID, l.AuthorityID)
	if err != nil || f.Authority == nil {
		return f, err
	}
	full, err := s.authority(ctx, l.AuthorityID)
	if err != nil {
		return nil, err
	}
	a := *full
	st := f.Authority
	a.CaseID, a.IssuedAt, a.ExpiresAt, a.Status, a.RequestedBy, a.ApprovedBy = st.CaseID, st.IssuedAt, st.ExpiresAt, st.Status, st.RequestedBy, st.ApprovedBy
	f.Authority = &a
	return f, nil
}

// authority returns the stored authority id, cached.
func (s *Service) authority(ctx context.Context, id int64) (*writ.Authority, error) {
	s.amu.Lock()
	a := s.auths[id]
	s.amu.Unlock()
	if a != nil {
		return a, nil
	}
	a, err := s.store.AuthorityByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.amu.Lock()
	s.auths[id] = a
	s.amu.Unlock()
	return a, nil
}

// requestOf is the gate request a lookout's read makes.
func requestOf(l *writ.Lookout, from, to time.Time, action string) scope.Request {
	return scope.Request{UserID: l.CreatedBy, CaseID: l.CaseID, AuthorityID: l.AuthorityID, Category: l.Category,
		Selectors: l.Selectors, From: from, To: to, Area: areaOf(l), Purpose: l.Purpose, Action: action}
}

// areaOf is the polygon a lookout's area is checked against the
// authority's: its own, or a 24-gon around its circle.
func areaOf(l *writ.Lookout) writ.Polygon {
	if l.Kind != writ.LookoutArea {
		return nil
	}
	if l.Circle == nil {
		return l.Area
	}
	c := l.Circle
	const n = 24
	// The 24-gon's vertices lie outside the circle so that it covers it.
	r := c.RadiusM / math.Cos(math.Pi/n)
	p := make(writ.Polygon, n)
	for i := range p {
		th := 2 * math.Pi * float64(i) / n
		dlat := r * math.Cos(th) / 111320
		dlon := r * math.Sin(th) / (111320 * math.Max(0.01, math.Cos(c.Center.Lat*math.Pi/180)))
		p[i] = writ.Point{Lat: c.Center.Lat + dlat, Lon: c.Center.Lon + dlon}
	}
	return p
}

// deliver audits every new alert, then sends those within their lookout's
// rate limit; the audit entry is durable before any delivery, as a read's
// entry is before its rows are released.
func (s *Service) deliver(ctx context.Context, fresh []candidate) error {
	if len(fresh) == 0 {
		return nil
	}
	for _, c := range fresh {
		if len(c.known) > 0 {
			if err := s.store.AddKnown(ctx, c.e.l.ID, c.known); err != nil {
				return fmt.Errorf("lookout %d known values: %w", c.e.l.ID, err)
			}
		}
	}
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	for i, c := range fresh {
		wg.Add(1)
		go func() { // concurrent appends share the audit log's group commit
			defer wg.Done()
			errs[i] = s.audit(ctx, c.e.l, c.a)
		}()
	}
	wg.Wait()
	var done []int64
	var firstErr error
	for i, c := range fresh {
		if errs[i] == nil {
			done = append(done, c.a.ID)
		} else if firstErr == nil {
			firstErr = errs[i]
		}
	}
	// The audit entries are durable: deliver, then mark the alerts listable
	// (the mark is off the latency path; nothing is delivered unaudited).
	for i, c := range fresh {
		if errs[i] == nil && !c.a.Suppressed {
			s.send(c.e.l, c.a)
		}
	}
	if err := s.store.MarkAlertsAudited(ctx, done); err != nil {
		return fmt.Errorf("mark alerts audited: %w", err)
	}
	return firstErr
}

// audit records one alert: the lookout's user, case, authority, category
// and purpose, and the selector that matched (as a commitment).
func (s *Service) audit(ctx context.Context, l *writ.Lookout, a *writ.Alert) error {
	e := &writ.AuditEntry{ActorID: l.CreatedBy, Action: "lookout.alert", CaseID: l.CaseID, AuthorityID: l.AuthorityID,
		Category: l.Category, Purpose: l.Purpose, Decision: writ.DecisionGranted, Results: 1,
		Reason: fmt.Sprintf("lookout %d alert %d", l.ID, a.ID)}
	if a.Suppressed {
		e.Reason += " (over the rate limit: kept, not delivered)"
	}
	if a.Retro {
		e.Reason += " (retroactive check)"
	}
	if a.Selector.Kind != "" {
		e.RawSelectors = []writ.Selector{a.Selector}
	}
	from, to := a.EventAt, a.EventAt
	e.From, e.To = &from, &to
	if _, err := s.cfg.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit append failed; alert not delivered", "err", err, "alert", a.ID)
		return writ.Errorf(writ.EInternal, "audit log unavailable")
	}
	return nil
}

// send hands an audited alert to every delivery channel.
func (s *Service) send(l *writ.Lookout, a *writ.Alert) {
	s.Hub.Publish(a)
	if s.cfg.Mail != nil && len(l.Email) > 0 {
		select {
		case s.mailq <- mailJob{l: l, a: a}:
		case <-s.closed:
		default:
			s.log.Warn("e-mail queue full; alert not mailed (it is stored and shown in app)", "alert", a.ID)
		}
	}
	if l.WebhookURL != "" {
		s.hooks.enqueue(l, a)
	}
}

// limiter is a token bucket per lookout: RatePerHour tokens, refilled
// evenly over the hour.
type limiter struct {
	mu sync.Mutex
	b  map[int64]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter() *limiter { return &limiter{b: map[int64]*bucket{}} }

func (r *limiter) allow(id int64, perHour int, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.b[id]
	if b == nil {
		b = &bucket{tokens: float64(perHour), at: now}
		r.b[id] = b
	}
	b.tokens = math.Min(float64(perHour), b.tokens+now.Sub(b.at).Hours()*float64(perHour))
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund returns a token taken for an alert that was not new.
func (r *limiter) refund(id int64, perHour int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.b[id]; b != nil {
		b.tokens = math.Min(float64(perHour), b.tokens+1)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
