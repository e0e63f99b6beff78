package scope

import (
	"strings"
	"time"

	"github.com/writhq/writ"
)

// MinPurposeLen is the shortest purpose the gate accepts: a word or two is
// not a stated purpose.
const MinPurposeLen = 10

// Evaluate applies the gate's rules, in order, to a request and the facts it
// depends on. It returns nil when the request lies inside the authority, and
// otherwise a forbidden error naming the first rule that failed. It is pure:
// the same facts, request and time give the same answer.
func Evaluate(f *Facts, r Request, now time.Time) error {
	if f == nil {
		return writ.Errorf(writ.EInternal, "%v", errNoFacts)
	}
	u, c, a := f.User, f.Case, f.Authority
	switch {
	case u == nil:
		return writ.Deny("user_active", "user %d does not exist", r.UserID)
	case !u.Active:
		return writ.Deny("user_active", "user %s is deactivated", u.Username)
	case c == nil:
		return writ.Deny("case_exists", "case %d does not exist", r.CaseID)
	case c.Status == writ.CaseSealed:
		return writ.Deny("case_open", "case %d is sealed", c.ID)
	case c.Status != writ.CaseOpen:
		return writ.Deny("case_open", "case %d is %s; reopen it to read its data", c.ID, c.Status)
	case f.Roster == "":
		return writ.Deny("roster_member", "%s is not on the roster of case %d", u.Username, c.ID)
	case len(strings.TrimSpace(r.Purpose)) < MinPurposeLen:
		return writ.Deny("purpose_stated", "state the purpose of this read (at least %d characters)", MinPurposeLen)
	case a == nil:
		return writ.Deny("authority_exists", "authority %d does not exist", r.AuthorityID)
	case a.CaseID != c.ID:
		return writ.Deny("authority_case", "authority %d belongs to another case", a.ID)
	case a.Status == writ.AuthRequested:
		return writ.Deny("authority_approved", "authority %d (%s) has not been approved", a.ID, a.Reference)
	case a.Status == writ.AuthRevoked:
		return writ.Deny("authority_revoked", "authority %d (%s) was revoked", a.ID, a.Reference)
	case a.Status != writ.AuthApproved:
		return writ.Deny("authority_approved", "authority %d has status %s", a.ID, a.Status)
	case a.ApprovedBy == 0 || a.ApprovedBy == a.RequestedBy:
		return writ.Deny("second_person", "authority %d was not approved by a second person", a.ID)
	case now.Before(a.IssuedAt):
		return writ.Deny("authority_in_force", "authority %d is not in force until %s", a.ID, a.IssuedAt.Format(time.RFC3339))
	case !now.Before(a.ExpiresAt):
		return writ.Deny("authority_expired", "authority %d (%s) expired at %s", a.ID, a.Reference, a.ExpiresAt.Format(time.RFC3339))
	case !r.Category.Valid():
		return writ.Deny("category_covered", "unknown data category %q", r.Category)
	case !a.Covers(r.Category):
		return writ.Deny("category_covered", "authority %d does not cover %s data", a.ID, r.Category)
	}
	if err := checkSelectors(a, r); err != nil {
		return err
	}
	switch {
	case r.From.IsZero() || r.To.IsZero() || !r.From.Before(r.To):
		return writ.Deny("window_inside", "give a time window with from before to")
	case r.From.Before(a.WindowStart) || r.To.After(a.WindowEnd):
		return writ.Deny("window_inside", "window %s–%s is outside the authority's %s–%s",
			r.From.Format(time.RFC3339), r.To.Format(time.RFC3339),
			a.WindowStart.Format(time.RFC3339), a.WindowEnd.Format(time.RFC3339))
	}
	if len(r.Area) > 0 {
		switch {
		case r.Category != writ.CatLocation && r.Category != writ.CatPlates:
			return writ.Deny("area_inside", "an area applies only to location and plate reads")
		case r.Area.Validate() != nil:
			return writ.Deny("area_inside", "%s", writ.ErrorMessage(r.Area.Validate()))
		case len(a.Area) > 0 && !r.Area.Within(a.Area):
			return writ.Deny("area_inside", "the requested area is not inside the authority's area")
		}
	}
	return nil
}

func checkSelectors(a *writ.Authority, r Request) error {
	kind := writ.SelectorKindFor(r.Category)
	for _, s := range r.Selectors {
		if s.Kind != kind {
			return writ.Deny("selector_kind", "%s reads are keyed by %s selectors, not %s", r.Category, kind, s.Kind)
		}
		if !a.Names(s) {
			return writ.Deny("selector_named", "authority %d does not name %s", a.ID, s.Kind)
		}
	}
	if len(r.Selectors) > 0 {
		return nil
	}
	for _, s := range a.Selectors {
		if s.Kind == kind {
			return nil
		}
	}
	// No selectors of this kind: only an area search (location, plates) under
	// an authority with an area may go ahead.
	if len(a.Area) > 0 && (r.Category == writ.CatLocation || r.Category == writ.CatPlates) {
		return nil
	}
	return writ.Deny("selector_named", "authority %d names no %s selectors; name what to read", a.ID, kind)
}
