package lookout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/writhq/writ"
)

// Create checks l and stores it as active under the authority it names.
// Conditions on protected attributes (by name or by any dataset's schema)
// are refused; the gate decides the lookout's read (user on the roster,
// authority approved and in force, category covered, selectors named, area
// inside) over the authority's whole window, and audits the decision. A
// positive retro runs a retroactive check: events of the last retro, clipped
// to the authority's window, fire as the lookout's first alerts, through
// gate.Read like any read. A webhook secret is made when a webhook URL is given.
func (s *Service) Create(ctx context.Context, l *writ.Lookout, retro time.Duration) error {
	if err := l.Validate(); err != nil {
		return s.refuse(ctx, l, err)
	}
	for _, f := range append(condFields(l.Conditions), l.Watch...) {
		p, err := s.store.ProtectedField(ctx, f)
		if err != nil {
			return err
		}
		if p {
			return s.refuse(ctx, l, writ.Deny("protected_attribute", "%s is a protected attribute and cannot be a lookout condition", f))
		}
	}
	a, err := s.store.AuthorityByID(ctx, l.AuthorityID)
	if err != nil {
		if writ.ErrorKind(err) == writ.ENotFound {
			return s.refuse(ctx, l, writ.Deny("authority_exists", "authority %d does not exist", l.AuthorityID))
		}
		return err
	}
	if l.Kind == writ.LookoutArea && len(l.Selectors) == 0 && len(a.Area) == 0 {
		return s.refuse(ctx, l, writ.Deny("selector_named", "an area lookout that names no %s needs an authority with an area", writ.SelectorKindFor(l.Category)))
	}
	if _, err := s.gate.Authorize(ctx, requestOf(l, a.WindowStart, a.WindowEnd, "lookout.create")); err != nil {
		return err
	}
	if l.WebhookURL != "" && l.WebhookSecret == "" {
		b := make([]byte, 24)
		rand.Read(b)
		l.WebhookSecret = "whsec_" + hex.EncodeToString(b)
	}
	if err := s.store.CreateLookout(ctx, l); err != nil {
		return err
	}
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if retro > 0 || l.Kind == writ.LookoutSubjectChange {
		return s.retro(ctx, l, a, retro)
	}
	return nil
}

// refuse audits a refusal the gate did not make itself.
func (s *Service) refuse(ctx context.Context, l *writ.Lookout, err error) error {
	if writ.ErrorKind(err) != writ.EForbidden {
		return err
	}
	r := requestOf(l, time.Time{}, time.Time{}, "lookout.create")
	return s.gate.Deny(ctx, r, "", err)
}

func condFields(cs []writ.Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Field
	}
	return out
}

// SetStatus pauses, resumes or ends a lookout and re-indexes.
func (s *Service) SetStatus(ctx context.Context, id int64, st writ.LookoutStatus) (*writ.Lookout, error) {
	l, err := s.store.SetLookoutStatus(ctx, id, st)
	if err != nil {
		return nil, err
	}
	return l, s.Reload(ctx)
}

// retro reads the lookout's events of the last d inside the authority's
// window, under a grant, and fires what matches; a subject_change lookout
// instead learns the subject's current values (its baseline) from the
// records linked to the subject, so only later changes alert.
func (s *Service) retro(ctx context.Context, l *writ.Lookout, a *writ.Authority, d time.Duration) error {
	now := s.now()
	from, to := a.WindowStart, minTime(now, a.WindowEnd)
	if d > 0 {
		from = maxTime(from, now.Add(-d))
	}
	if !from.Before(to) {
		return nil // nothing of the window lies in the past
	}
	b := &writ.Batch{}
	err := s.gate.Read(ctx, requestOf(l, from, to, "lookout.retro"), func(g *writ.Grant) (int, error) {
		q := writ.EventQuery{Limit: writ.MaxLimit}
		var err error
		switch l.Category {
		case writ.CatComms:
			b.Contacts, err = s.store.Contacts(ctx, g, q)
		case writ.CatLocation:
			b.Pings, err = s.store.Pings(ctx, g, q)
		case writ.CatPlates:
			b.PlateReads, err = s.store.PlateReads(ctx, g, q)
		case writ.CatRecords:
			b.Records, err = s.store.Records(ctx, g, q)
		}
		return len(b.Contacts) + len(b.Pings) + len(b.PlateReads) + len(b.Records), err
	})
	if err != nil {
		return err
	}
	if l.Kind == writ.LookoutSubjectChange {
		var known []writ.Condition
		seen := map[writ.Condition]bool{}
		for _, r := range b.Records {
			for _, f := range l.Watch {
				k := writ.Condition{Field: f, Value: writ.FoldValue(r.Fields[f])}
				if k.Value != "" && !seen[k] {
					seen[k] = true
					known = append(known, k)
				}
			}
		}
		if len(known) == 0 {
			return nil
		}
		if err := s.store.AddKnown(ctx, l.ID, known); err != nil {
			return err
		}
		return s.Reload(ctx)
	}
	// Match against this lookout alone, with its own area state.
	stored, err := s.store.LookoutByID(ctx, l.ID)
	if err != nil {
		return err
	}
	x := newIndex()
	x.add(stored, a)
	cands := newMatcher(s.cfg.Secret).batch(x, b, now)
	for _, c := range cands {
		c.a.Retro = true
	}
	if len(cands) == 0 {
		return nil
	}
	return s.fire(ctx, cands)
}

// Alerts lists the alerts of the cases whose roster holds user (every case
// for nobody else: the caller filters by roster).
func (s *Service) Alerts(ctx context.Context, f writ.AlertFilter) ([]*writ.Alert, error) {
	return s.store.ListAlerts(ctx, f)
}
