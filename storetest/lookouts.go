package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
)

// testLookouts checks the LookoutStore: lookouts round-trip, their status
// moves as documented, an alert is stored once per lookout and event, and
// listings stay inside the cases asked for.
func testLookouts(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.authority()
	a.Selectors = []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}
	auth := f.approved(t, a)
	other := f.newCase(t, "Operation Birch", f.lead)
	newLookout := func(caseID int64) *writ.Lookout {
		l := &writ.Lookout{CaseID: caseID, AuthorityID: auth.ID, Kind: writ.LookoutArea, Name: "van near the port",
			Purpose: "watch the van", Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1abc123"}},
			Circle: &writ.Circle{Center: writ.Point{Lat: 51.2, Lon: 4.4}, RadiusM: 500}, Email: []string{"ivy@example.org"},
			WebhookURL: "https://hooks.example.org/x", WebhookSecret: "whsec_test", CreatedBy: f.lead.ID}
		if err := db.CreateLookout(ctx, l); err != nil {
			t.Fatalf("CreateLookout() = %v", err)
		}
		return l
	}
	l := newLookout(f.c.ID)
	l2 := newLookout(other.ID)

	t.Run("round trip", func(t *testing.T) {
		got, err := db.LookoutByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != writ.LookoutActive || got.Selectors[0].Value != "1ABC123" || got.Circle == nil || got.Circle.RadiusM != 500 ||
			got.WebhookSecret != "whsec_test" || !slices.Equal(got.Email, l.Email) || got.Category != writ.CatPlates || got.RatePerHour != writ.DefaultLookoutRate {
			t.Errorf("LookoutByID() = %+v, want what was created", got)
		}
		if _, err := db.LookoutByID(ctx, 9999); writ.ErrorKind(err) != writ.ENotFound {
			t.Errorf("LookoutByID(missing) = %v, want not found", err)
		}
		bad := &writ.Lookout{CaseID: f.c.ID, AuthorityID: auth.ID, Kind: "psychic", Name: "x", CreatedBy: f.lead.ID}
		if err := db.CreateLookout(ctx, bad); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("CreateLookout(bad kind) = %v, want invalid", err)
		}
	})
	t.Run("status", func(t *testing.T) {
		if got, err := db.SetLookoutStatus(ctx, l2.ID, writ.LookoutPaused); err != nil || got.Status != writ.LookoutPaused {
			t.Fatalf("pause = %+v, %v", got, err)
		}
		active, err := db.ListLookouts(ctx, writ.LookoutFilter{Status: writ.LookoutActive})
		if err != nil || len(active) != 1 || active[0].ID != l.ID {
			t.Errorf("ListLookouts(active) = %d, %v; want only %d", len(active), err, l.ID)
		}
		mine, err := db.ListLookouts(ctx, writ.LookoutFilter{CaseIDs: []int64{other.ID}})
		if err != nil || len(mine) != 1 || mine[0].ID != l2.ID {
			t.Errorf("ListLookouts(case %d) = %d, %v; want only %d", other.ID, len(mine), err, l2.ID)
		}
		if _, err := db.SetLookoutStatus(ctx, l2.ID, writ.LookoutEnded); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetLookoutStatus(ctx, l2.ID, writ.LookoutActive); writ.ErrorKind(err) != writ.EConflict {
			t.Errorf("resume an ended lookout = %v, want conflict", err)
		}
	})
	t.Run("known values", func(t *testing.T) {
		k := []writ.Condition{{Field: "street_address", Value: "kerkstraat 9"}}
		for range 2 {
			if err := db.AddKnown(ctx, l.ID, k); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.LookoutByID(ctx, l.ID)
		if err != nil || !slices.Equal(got.Known, k) {
			t.Errorf("Known after adding twice = %v, %v; want %v once", got.Known, err, k)
		}
	})
	t.Run("alerts once per lookout and event", func(t *testing.T) {
		at := t0.Add(time.Hour)
		mk := func(lk *writ.Lookout, key string) *writ.Alert {
			return &writ.Alert{LookoutID: lk.ID, CaseID: lk.CaseID, AuthorityID: auth.ID, Kind: lk.Kind, EventKind: writ.DataPlateReads,
				EventKey: key, EventAt: at, Selector: writ.Selector{Kind: writ.SelPlate, Value: "1ABC123"}, Summary: "seen",
				Detail: map[string]string{"camera": "cam-1"}}
		}
		first := []*writ.Alert{mk(l, "plate_reads:h1"), mk(l, "plate_reads:h2"), mk(l2, "plate_reads:h1")}
		if err := db.InsertAlerts(ctx, first); err != nil {
			t.Fatal(err)
		}
		for i, a := range first {
			if a.ID == 0 {
				t.Errorf("alert %d was not stored", i)
			}
		}
		again := []*writ.Alert{mk(l, "plate_reads:h1"), mk(l, "plate_reads:h3")}
		if err := db.InsertAlerts(ctx, again); err != nil {
			t.Fatal(err)
		}
		if again[0].ID != 0 || again[1].ID == 0 {
			t.Errorf("InsertAlerts(repeat, new) set ids %d, %d; want 0 and new", again[0].ID, again[1].ID)
		}
		if unlisted, err := db.ListAlerts(ctx, writ.AlertFilter{}); err != nil || len(unlisted) != 0 {
			t.Errorf("ListAlerts() before the alerts are audited = %d, %v; want none", len(unlisted), err)
		}
		if err := db.MarkAlertsAudited(ctx, []int64{first[0].ID, first[1].ID, first[2].ID, again[1].ID}); err != nil {
			t.Fatal(err)
		}
		all, err := db.ListAlerts(ctx, writ.AlertFilter{CaseIDs: []int64{f.c.ID}})
		if err != nil || len(all) != 3 {
			t.Fatalf("ListAlerts(case) = %d, %v; want 3", len(all), err)
		}
		if a := all[0]; a.Detail["camera"] != "cam-1" || a.Selector.Value != "1ABC123" || !a.EventAt.Equal(at) {
			t.Errorf("alert round trip = %+v", a)
		}
		page, err := db.ListAlerts(ctx, writ.AlertFilter{CaseIDs: []int64{f.c.ID, other.ID}, AfterID: all[0].ID, Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID <= all[0].ID {
			t.Errorf("ListAlerts(after, limit 1) = %v, %v", page, err)
		}
		if none, err := db.ListAlerts(ctx, writ.AlertFilter{CaseIDs: []int64{}}); err != nil || len(none) != 0 {
			t.Errorf("ListAlerts(no cases) = %d, %v; want none", len(none), err)
		}
		got, err := db.AlertByID(ctx, all[1].ID)
		if err != nil || got.EventKey != all[1].EventKey {
			t.Errorf("AlertByID() = %+v, %v", got, err)
		}

		d := &writ.DeadLetter{AlertID: all[0].ID, LookoutID: l.ID, CaseID: f.c.ID, URL: l.WebhookURL, Attempts: 6, LastError: "503"}
		if err := db.InsertDeadLetter(ctx, d); err != nil || d.ID == 0 {
			t.Fatalf("InsertDeadLetter() = %v", err)
		}
		if ds, err := db.ListDeadLetters(ctx, []int64{other.ID}); err != nil || len(ds) != 0 {
			t.Errorf("ListDeadLetters(other case) = %d, %v; want none", len(ds), err)
		}
		if ds, err := db.ListDeadLetters(ctx, []int64{f.c.ID}); err != nil || len(ds) != 1 || ds[0].Attempts != 6 {
			t.Errorf("ListDeadLetters(case) = %v, %v; want the one", ds, err)
		}
		if err := db.DeleteDeadLetter(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeadLetterByID(ctx, d.ID); writ.ErrorKind(err) != writ.ENotFound {
			t.Errorf("DeadLetterByID(deleted) = %v, want not found", err)
		}
	})
	t.Run("protected fields", func(t *testing.T) {
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:lookout-fields", Size: 10, Dataset: "registry", Source: "r.csv",
			Kind: writ.DataRecords, BasisKind: "authority", BasisID: auth.ID},
			Fields: []writ.FieldSchema{{Dataset: "registry", Field: "clan", Entity: writ.EntityPerson, Protected: true},
				{Dataset: "registry", Field: "full_name", Entity: writ.EntityPerson}}}
		if _, err := db.CommitBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		for field, want := range map[string]bool{"clan": true, "full_name": false, "nowhere": false} {
			if got, err := db.ProtectedField(ctx, field); err != nil || got != want {
				t.Errorf("ProtectedField(%s) = %v, %v; want %v", field, got, err, want)
			}
		}
	})
}
