package lookout_test

import (
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
)

// TestProtectedRefused checks that conditions on protected attributes,
// protected by name or by a dataset's schema, are refused and the refusal
// audited.
func TestProtectedRefused(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	s := &writ.Subject{CaseID: f.c.ID, Name: "Jan Peeters", CreatedBy: f.lead.ID}
	if err := f.db.CreateSubject(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	a := f.authority(t, []writ.Category{writ.CatRecords}, []string{"subject:" + itoa(s.ID)}, nil, 24*time.Hour)
	// A records dataset whose schema marks "clan" protected.
	b := f.batch(writ.DataRecords)
	b.Fields = []writ.FieldSchema{{Dataset: "carrier", Field: "clan", Entity: writ.EntityPerson, Protected: true},
		{Dataset: "carrier", Field: "full_name", Entity: writ.EntityPerson}}
	b.Records = []writ.Record{record("r1", t0, map[string]string{"full_name": "Jan Peeters"})}
	f.commit(t, b)

	sel := []writ.Selector{{Kind: writ.SelSubject, Value: itoa(s.ID)}}
	tests := []struct {
		name  string
		kind  writ.LookoutKind
		conds []writ.Condition
		watch []string
	}{
		{"protected by name", writ.LookoutAttribute, []writ.Condition{{Field: "full_name", Value: "Jan"}, {Field: "Religion", Value: "x"}}, nil},
		{"protected by schema", writ.LookoutAttribute, []writ.Condition{{Field: "clan", Value: "x"}}, nil},
		{"watched protected", writ.LookoutSubjectChange, []writ.Condition{{Field: "full_name", Value: "Jan"}}, []string{"ethnicity"}},
		{"watched protected by schema", writ.LookoutSubjectChange, []writ.Condition{{Field: "full_name", Value: "Jan"}}, []string{"clan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &writ.Lookout{CaseID: f.c.ID, AuthorityID: a.ID, Kind: tt.kind, Name: tt.name, Purpose: "find the subject's records",
				Selectors: sel, Entity: writ.EntityPerson, Conditions: tt.conds, Watch: tt.watch, CreatedBy: f.lead.ID}
			err := f.svc.Create(f.ctx, l, 0)
			if writ.ErrorRule(err) != "protected_attribute" {
				t.Fatalf("Create() = %v, want the protected_attribute rule", err)
			}
			if l.ID != 0 {
				t.Errorf("a refused lookout was stored as %d", l.ID)
			}
		})
	}
	es, err := f.log.Entries(f.ctx, writ.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, e := range es {
		if e.Action == "lookout.create" && e.Decision == writ.DecisionDenied && e.Rule == "protected_attribute" {
			denied++
		}
	}
	if denied != len(tests) {
		t.Errorf("audit log holds %d refusals for protected attributes, want %d", denied, len(tests))
	}
	ls, err := f.db.ListLookouts(f.ctx, writ.LookoutFilter{})
	if err != nil || len(ls) != 0 {
		t.Errorf("ListLookouts() = %d lookouts, %v; want none", len(ls), err)
	}
}

// TestCreateNeedsTheGate checks that a lookout is refused when its read
// would be: an unnamed selector, an uncovered category, a user off the roster.
func TestCreateNeedsTheGate(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	a := f.authority(t, []writ.Category{writ.CatComms}, []string{"phone:" + phoneA}, nil, 24*time.Hour)
	outsider := f.user(t, "otto", writ.RoleInvestigator)
	tests := []struct {
		name string
		l    writ.Lookout
		rule string
	}{
		{"selector not named", writ.Lookout{Kind: writ.LookoutAppears, Selectors: []writ.Selector{{Kind: writ.SelPhone, Value: phoneB}}, CreatedBy: f.lead.ID}, "selector_named"},
		{"category not covered", writ.Lookout{Kind: writ.LookoutHotlist, Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}, CreatedBy: f.lead.ID}, "category_covered"},
		{"not on the roster", writ.Lookout{Kind: writ.LookoutAppears, Selectors: []writ.Selector{{Kind: writ.SelPhone, Value: phoneA}}, CreatedBy: outsider.ID}, "roster_member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.l
			l.CaseID, l.AuthorityID, l.Name, l.Purpose = f.c.ID, a.ID, tt.name, "watch the ring's phones"
			if err := f.svc.Create(f.ctx, &l, 0); writ.ErrorRule(err) != tt.rule {
				t.Errorf("Create() = %v, want rule %s", err, tt.rule)
			}
		})
	}
}

// TestStopsWithItsAuthority checks that nothing fires after the authority
// is revoked or expires, while the lookout is paused, or for events outside
// the authority's window.
func TestStopsWithItsAuthority(t *testing.T) {
	match := func(f *fixture, m int) *writ.Batch {
		b := f.batch(writ.DataPings)
		b.Pings = []writ.Ping{ping("dev-1", t0.Add(time.Duration(m)*time.Minute), lat0, lon0)}
		return b
	}
	setup := func(t *testing.T, expires time.Duration) (*fixture, *writ.Authority, *writ.Lookout) {
		f := newFixture(t, lookout.Config{})
		a := f.authority(t, []writ.Category{writ.CatLocation}, []string{"device:dev-1"}, nil, expires)
		l := f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutAppears, Selectors: []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}}})
		f.commit(t, match(f, 1))
		if n := len(f.alerts(t, l.ID)); n != 1 {
			t.Fatalf("before: %d alerts, want 1", n)
		}
		return f, a, l
	}
	t.Run("revoked", func(t *testing.T) {
		f, a, l := setup(t, 24*time.Hour)
		if _, err := f.db.RevokeAuthority(f.ctx, a.ID, f.boss.ID, "order quashed"); err != nil {
			t.Fatal(err)
		}
		f.commit(t, match(f, 2))
		if n := len(f.alerts(t, l.ID)); n != 1 {
			t.Errorf("after revocation: %d alerts, want still 1", n)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f, a, l := setup(t, 2*time.Hour)
		f.clock.Store(a.ExpiresAt.Add(time.Second).UnixMicro())
		f.commit(t, match(f, 2))
		if n := len(f.alerts(t, l.ID)); n != 1 {
			t.Errorf("after expiry: %d alerts, want still 1", n)
		}
		f.clock.Store(a.ExpiresAt.Add(-time.Minute).UnixMicro())
		f.commit(t, match(f, 3))
		if n := len(f.alerts(t, l.ID)); n != 2 {
			t.Errorf("before expiry: %d alerts, want 2 (the clock decides, not a stale cache)", n)
		}
	})
	t.Run("off the roster", func(t *testing.T) {
		f, _, l := setup(t, 24*time.Hour)
		other := f.user(t, "lena", writ.RoleInvestigator)
		if err := f.db.AddToRoster(f.ctx, &writ.RosterEntry{CaseID: f.c.ID, UserID: other.ID, Role: writ.RosterLead, AddedBy: f.lead.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.RemoveFromRoster(f.ctx, f.c.ID, f.lead.ID); err != nil {
			t.Fatal(err)
		}
		f.commit(t, match(f, 2))
		if n := len(f.alerts(t, l.ID)); n != 1 {
			t.Errorf("after its creator left the roster: %d alerts, want still 1", n)
		}
	})
	t.Run("paused, resumed, ended", func(t *testing.T) {
		f, _, l := setup(t, 24*time.Hour)
		if _, err := f.svc.SetStatus(f.ctx, l.ID, writ.LookoutPaused); err != nil {
			t.Fatal(err)
		}
		f.commit(t, match(f, 2))
		if n := len(f.alerts(t, l.ID)); n != 1 {
			t.Errorf("while paused: %d alerts, want still 1", n)
		}
		if _, err := f.svc.SetStatus(f.ctx, l.ID, writ.LookoutActive); err != nil {
			t.Fatal(err)
		}
		f.commit(t, match(f, 3))
		if n := len(f.alerts(t, l.ID)); n != 2 {
			t.Errorf("after resuming: %d alerts, want 2", n)
		}
		if _, err := f.svc.SetStatus(f.ctx, l.ID, writ.LookoutEnded); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStatus(f.ctx, l.ID, writ.LookoutActive); writ.ErrorKind(err) != writ.EConflict {
			t.Errorf("resuming an ended lookout = %v, want a conflict", err)
		}
		f.commit(t, match(f, 4))
		if n := len(f.alerts(t, l.ID)); n != 2 {
			t.Errorf("after ending: %d alerts, want still 2", n)
		}
	})
	t.Run("outside the window", func(t *testing.T) {
		f, a, l := setup(t, 48*time.Hour)
		b := f.batch(writ.DataPings)
		b.Pings = []writ.Ping{ping("dev-1", a.WindowStart.Add(-time.Minute), lat0, lon0), ping("dev-1", a.WindowEnd, lat0, lon0)}
		f.commit(t, b)
		if n := len(f.alerts(t, l.ID)); n != 1 {
			t.Errorf("events outside the authority's window: %d alerts, want still 1", n)
		}
		b = f.batch(writ.DataPings)
		b.Pings = []writ.Ping{ping("dev-1", a.WindowEnd.Add(-time.Nanosecond), lat0, lon0)}
		f.commit(t, b)
		if n := len(f.alerts(t, l.ID)); n != 2 {
			t.Errorf("an event just inside the window's end: %d alerts, want 2", n)
		}
	})
}

// TestRetroactiveCheck checks that a retroactive check fires on past events
// inside both the asked period and the authority's window, through an
// audited read.
func TestRetroactiveCheck(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	a := f.authority(t, []writ.Category{writ.CatPlates}, []string{"plate:1ABC123"}, nil, 24*time.Hour)
	b := f.batch(writ.DataPlateReads)
	b.PlateReads = []writ.PlateRead{
		plateRead("1ABC123", "cam-1", t0.Add(10*time.Minute), lat0, lon0),                                // inside both
		plateRead("1ABC123", "cam-2", a.WindowStart.Add(-time.Hour), lat0, lon0),                         // before the window
		plateRead("1ABC123", "cam-3", a.WindowStart.Add(2*time.Hour), lat0, lon0),                        // inside the window, before the period asked
		plateRead("7QQQ777", "cam-1", t0.Add(10*time.Minute), lat0, lon0),                                // another plate
		plateRead("1ABC123", "cam-4", writ.Now().Add(-30*time.Minute).Truncate(time.Second), lat0, lon0), // inside both
	}
	if _, err := f.db.CommitBatch(f.ctx, b); err != nil { // before the lookout exists
		t.Fatal(err)
	}
	l := &writ.Lookout{CaseID: f.c.ID, AuthorityID: a.ID, Kind: writ.LookoutHotlist, Name: "was it seen", Purpose: "was the plate seen lately",
		Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}, CreatedBy: f.lead.ID}
	if err := f.svc.Create(f.ctx, l, 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	got := f.alerts(t, l.ID)
	if len(got) != 2 {
		t.Fatalf("retroactive check: %d alerts %v, want 2", len(got), summaries(got))
	}
	for _, al := range got {
		if !al.Retro {
			t.Errorf("alert %d not marked retro", al.ID)
		}
	}
	es, err := f.log.Entries(f.ctx, writ.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, e := range es {
		if e.Action == "lookout.retro" && e.Decision == writ.DecisionGranted && e.Results == 2 {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("audit log holds %d granted retroactive reads of 2 rows, want 1", reads)
	}
}
