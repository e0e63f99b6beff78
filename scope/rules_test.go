package scope

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pool of selectors the random authorities and requests draw from.
var pool = []writ.Selector{
	{Kind: writ.SelPhone, Value: "+15550000001"}, {Kind: writ.SelPhone, Value: "+15550000002"},
	{Kind: writ.SelPhone, Value: "+15550000003"}, {Kind: writ.SelDevice, Value: "dev-1"},
	{Kind: writ.SelDevice, Value: "dev-2"}, {Kind: writ.SelPlate, Value: "ABC123"},
	{Kind: writ.SelPlate, Value: "XYZ999"}, {Kind: writ.SelSubject, Value: "1"}, {Kind: writ.SelSubject, Value: "2"},
}

func square(lat, lon, d float64) writ.Polygon {
	return writ.Polygon{{Lat: lat, Lon: lon}, {Lat: lat + d, Lon: lon}, {Lat: lat + d, Lon: lon + d}, {Lat: lat, Lon: lon + d}}
}

// randomCase draws facts and a request that are near each other, so that both
// grants and every kind of denial are common.
func randomCase(rng *rand.Rand) (*Facts, Request, time.Time) {
	hours := func(n int) time.Duration { return time.Duration(n) * time.Hour }
	u := &writ.User{ID: 1, Username: "ivy", Role: writ.RoleInvestigator, Active: rng.IntN(20) != 0}
	c := &writ.Case{ID: 7, Status: writ.CaseOpen}
	if rng.IntN(15) == 0 {
		c.Status = []writ.CaseStatus{writ.CaseClosed, writ.CaseSealed}[rng.IntN(2)]
	}
	f := &Facts{User: u, Case: c, Roster: writ.RosterMember}
	if rng.IntN(15) == 0 {
		f.Roster = ""
	}
	a := &writ.Authority{ID: 3, CaseID: 7, Kind: writ.KindSearchWarrant, Status: writ.AuthApproved,
		RequestedBy: 1, ApprovedBy: 2,
		IssuedAt: t0, ExpiresAt: t0.Add(hours(24 * 30)),
		WindowStart: t0.Add(-hours(24 * 10)), WindowEnd: t0.Add(hours(24 * 10))}
	switch rng.IntN(20) {
	case 0:
		a.Status = writ.AuthRequested
		a.ApprovedBy = 0
	case 1:
		a.Status = writ.AuthRevoked
	case 2:
		a.ApprovedBy = a.RequestedBy
	case 3:
		a.CaseID = 8
	}
	for _, cat := range writ.Categories {
		if rng.IntN(2) == 0 {
			a.Categories = append(a.Categories, cat)
		}
	}
	for _, s := range pool {
		if rng.IntN(2) == 0 {
			a.Selectors = append(a.Selectors, s)
		}
	}
	if rng.IntN(3) == 0 {
		a.Area = square(50, 4, 0.1)
	}
	if rng.IntN(10) != 0 {
		f.Authority = a
	}
	// "now" mostly inside the authority's life, sometimes before or after.
	now := t0.Add(hours(rng.IntN(24 * 32)))
	if rng.IntN(15) == 0 {
		now = t0.Add(-hours(1 + rng.IntN(48)))
	}
	r := Request{UserID: 1, CaseID: 7, AuthorityID: 3, Category: writ.Categories[rng.IntN(4)],
		Purpose: "locate the courier of the ring"}
	if len(a.Categories) > 0 && rng.IntN(5) != 0 {
		r.Category = a.Categories[rng.IntN(len(a.Categories))]
	}
	if rng.IntN(20) == 0 {
		r.Purpose = "because"
	}
	if rng.IntN(12) == 0 {
		r.Category = "dna"
	}
	// Selectors: some from the pool (named or not by the authority), some none.
	kind := writ.SelectorKindFor(r.Category)
	for _, s := range pool {
		switch {
		case rng.IntN(25) == 0: // anything, named or not, of any kind
			r.Selectors = append(r.Selectors, s)
		case s.Kind == kind && slices.Contains(a.Selectors, s) && rng.IntN(2) == 0:
			r.Selectors = append(r.Selectors, s)
		}
	}
	from := t0.Add(hours(rng.IntN(24*24) - 24*12))
	r.From, r.To = from, from.Add(hours(rng.IntN(24*8)-2))
	if rng.IntN(3) == 0 {
		lat, lon := 49.95+rng.Float64()*0.12, 3.95+rng.Float64()*0.12
		r.Area = square(lat, lon, 0.01+rng.Float64()*0.05)
	}
	return f, r, now
}

// inside is the oracle: an independent statement, rule by rule, of when a
// request lies inside its authority.
func inside(f *Facts, r Request, now time.Time) bool {
	a := f.Authority
	if f.User == nil || !f.User.Active || f.Case == nil || f.Case.Status != writ.CaseOpen || f.Roster == "" {
		return false
	}
	if len([]rune(r.Purpose)) < 10 || a == nil || a.CaseID != f.Case.ID {
		return false
	}
	if a.Status != writ.AuthApproved || a.ApprovedBy == 0 || a.ApprovedBy == a.RequestedBy {
		return false
	}
	if now.Before(a.IssuedAt) || !now.Before(a.ExpiresAt) || !slices.Contains(a.Categories, r.Category) {
		return false
	}
	want := map[writ.Category]writ.SelectorKind{writ.CatComms: writ.SelPhone, writ.CatLocation: writ.SelDevice,
		writ.CatPlates: writ.SelPlate, writ.CatRecords: writ.SelSubject}[r.Category]
	for _, s := range r.Selectors {
		if s.Kind != want || !slices.Contains(a.Selectors, s) {
			return false
		}
	}
	if len(r.Selectors) == 0 {
		has := slices.ContainsFunc(a.Selectors, func(s writ.Selector) bool { return s.Kind == want })
		spatial := r.Category == writ.CatLocation || r.Category == writ.CatPlates
		if !has && !(len(a.Area) > 0 && spatial) {
			return false
		}
	}
	if !r.From.Before(r.To) || r.From.Before(a.WindowStart) || r.To.After(a.WindowEnd) {
		return false
	}
	if len(r.Area) > 0 {
		if r.Category != writ.CatLocation && r.Category != writ.CatPlates {
			return false
		}
		// Squares: inside when all four corners are inside the authority square.
		if len(a.Area) > 0 {
			minA, maxA := a.Area.Bounds()
			minR, maxR := r.Area.Bounds()
			if minR.Lat < minA.Lat || minR.Lon < minA.Lon || maxR.Lat > maxA.Lat || maxR.Lon > maxA.Lon {
				return false
			}
		}
	}
	return true
}

func TestEvaluateProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	granted, rules := 0, map[string]int{}
	for i := range n {
		f, r, now := randomCase(rng)
		err := Evaluate(f, r, now)
		want := inside(f, r, now)
		if got := err == nil; got != want {
			t.Fatalf("case %d: Evaluate = %v, want granted=%v\nfacts user=%+v case=%+v roster=%q\nauthority=%+v\nrequest=%+v\nnow=%v",
				i, err, want, f.User, f.Case, f.Roster, f.Authority, r, now)
		}
		if err == nil {
			granted++
			continue
		}
		if writ.ErrorKind(err) != writ.EForbidden || writ.ErrorRule(err) == "" {
			t.Fatalf("case %d: denial %v is not a forbidden error naming a rule", i, err)
		}
		rules[writ.ErrorRule(err)]++
	}
	// The generator must exercise both outcomes and every rule, or the
	// property says little.
	if granted < n/20 || granted > n*9/10 {
		t.Errorf("granted %d of %d; generator is unbalanced", granted, n)
	}
	for _, rule := range []string{"user_active", "case_open", "roster_member", "purpose_stated", "authority_exists",
		"authority_case", "authority_approved", "authority_revoked", "second_person", "authority_in_force",
		"authority_expired", "category_covered", "selector_kind", "selector_named", "window_inside", "area_inside"} {
		if rules[rule] == 0 {
			t.Errorf("rule %s never fired in %d cases", rule, n)
		}
	}
	t.Logf("granted %d of %d; denials by rule: %v", granted, n, rules)
}

func TestGrantSpecClipsToAuthority(t *testing.T) {
	a := &writ.Authority{ID: 3, Kind: writ.KindCourtOrder, ExpiresAt: t0.Add(time.Minute),
		Selectors: []writ.Selector{pool[0], pool[1], pool[3]}, Area: square(50, 4, 0.1)}
	r := Request{UserID: 1, CaseID: 7, Category: writ.CatComms, From: t0, To: t0.Add(time.Hour)}
	s := grantSpec(a, r, t0)
	if got, want := s.Selectors, []writ.Selector{pool[0], pool[1]}; !slices.Equal(got, want) {
		t.Errorf("grantSpec selectors = %v, want %v (the authority's phone selectors)", got, want)
	}
	if !s.ExpiresAt.Equal(a.ExpiresAt) {
		t.Errorf("grantSpec expiry = %v, want the authority's %v (earlier than GrantTTL)", s.ExpiresAt, a.ExpiresAt)
	}
	if len(s.Area) != 4 {
		t.Errorf("grantSpec area = %v, want the authority's area", s.Area)
	}
}
