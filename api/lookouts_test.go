package api

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
	"github.com/writhq/writ/scope"
)

// TestLookoutFlow creates a lookout through the API, follows the alert
// stream as the CLI does, ingests a matching event, and checks who sees
// the alert and that pausing and protected attributes behave.
func TestLookoutFlow(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	svc := lookout.New(lookout.Config{Store: e.db, Gate: scope.New(e.db, e.log), Audit: e.log,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(svc.Close)
	e.srv.cfg.Lookouts = svc
	tm := e.team()
	now := time.Now().UTC()
	a := tm.authority(tm.invC, AuthorityRequest{Kind: writ.KindSearchWarrant, IssuingBody: "District Court", Reference: "SW-LK-1",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour), Categories: []writ.Category{writ.CatPlates, writ.CatRecords},
		Selectors:   []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}, {Kind: writ.SelSubject, Value: "1"}},
		WindowStart: now.Add(-48 * time.Hour), WindowEnd: now.Add(48 * time.Hour)}, true)

	_, err := tm.invC.CreateLookout(ctx, tm.caseID, NewLookout{AuthorityID: a.ID, Kind: writ.LookoutAttribute, Name: "by religion",
		Purpose: "find the subject's records", Selectors: []string{"subject:1"}, Entity: writ.EntityPerson,
		Conditions: []writ.Condition{{Field: "religion", Value: "x"}}})
	wantErr(t, "CreateLookout(protected condition)", err, writ.EForbidden, "protected_attribute")
	_, err = tm.outC.CreateLookout(ctx, tm.caseID, NewLookout{AuthorityID: a.ID, Kind: writ.LookoutHotlist, Name: "van",
		Purpose: "watch the stolen van", Selectors: []string{"plate:1ABC123"}})
	wantErr(t, "CreateLookout(not on the roster)", err, writ.EForbidden, "roster_member")

	l, err := tm.invC.CreateLookout(ctx, tm.caseID, NewLookout{AuthorityID: a.ID, Kind: writ.LookoutHotlist, Name: "van",
		Purpose: "watch the stolen van", Selectors: []string{"plate:1abc123"}, WebhookURL: "https://hooks.example.org/writ"})
	if err != nil {
		t.Fatalf("CreateLookout() = %v", err)
	}
	if l.WebhookSecret == "" {
		t.Error("CreateLookout() did not show the webhook secret")
	}
	if got, err := tm.invC.Lookout(ctx, l.ID); err != nil || got.WebhookSecret != "" || got.Status != writ.LookoutActive {
		t.Errorf("Lookout() = %+v, %v; want active, secret hidden", got, err)
	}
	if _, err := tm.outC.Lookouts(ctx, tm.caseID, ""); writ.ErrorRule(err) != "roster_member" {
		t.Errorf("Lookouts(outsider) = %v, want roster_member", err)
	}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan *writ.Alert, 4)
	go tm.invC.FollowAlerts(fctx, AlertQuery{}, func(a *writ.Alert) error { got <- a; return nil })
	for svc.Hub.Len() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	commit := func(cam string) {
		t.Helper()
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "stream:" + cam, Number: 1, Size: 1, Dataset: "anpr", Source: cam,
			Kind: writ.DataPlateReads, BasisKind: "authority", BasisID: a.ID},
			PlateReads: []writ.PlateRead{{Plate: "1ABC123", Camera: cam, At: now.Add(-time.Minute), Lat: 50.8, Lon: 4.3,
				Prov: writ.Provenance{ContentHash: "h-" + cam}}}}
		if _, err := svc.Wrap(e.db).CommitBatch(ctx, b); err != nil {
			t.Fatalf("CommitBatch() = %v", err)
		}
	}
	commit("cam-1")
	select {
	case al := <-got:
		if al.LookoutID != l.ID || al.Selector.Value != "1ABC123" {
			t.Errorf("followed alert = %+v, want lookout %d on 1ABC123", al, l.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert on the followed stream")
	}
	if as, err := tm.invC.Alerts(ctx, AlertQuery{CaseID: tm.caseID}); err != nil || len(as) != 1 {
		t.Errorf("Alerts(lead) = %d, %v; want 1", len(as), err)
	}
	if got := e.lastEntry("lookout.alerts"); got.Decision != writ.DecisionDone || got.CaseID != tm.caseID || got.Results != 1 {
		t.Errorf("alerts read's audit entry = %+v, want done on the case with 1 row", got)
	}
	if as, err := tm.outC.Alerts(ctx, AlertQuery{}); err != nil || len(as) != 0 {
		t.Errorf("Alerts(outsider) = %d, %v; want none", len(as), err)
	}
	if _, err := tm.outC.Alerts(ctx, AlertQuery{CaseID: tm.caseID}); writ.ErrorRule(err) != "roster_member" {
		t.Errorf("Alerts(outsider, case) = %v, want roster_member", err)
	}
	if got := e.lastEntry("lookout.alerts"); got.Decision != writ.DecisionDenied || got.Rule != "roster_member" || got.CaseID != tm.caseID {
		t.Errorf("refused alerts read's audit entry = %+v, want denied by roster_member on the case", got)
	}

	if p, err := tm.invC.SetLookoutStatus(ctx, l.ID, "pause"); err != nil || p.Status != writ.LookoutPaused {
		t.Fatalf("pause = %+v, %v", p, err)
	}
	if e.lastEntry("lookout.pause").CaseID != tm.caseID {
		t.Error("pausing was not audited")
	}
	commit("cam-2")
	if as, _ := tm.invC.Alerts(ctx, AlertQuery{}); len(as) != 1 {
		t.Errorf("alerts after a paused lookout saw a match = %d, want still 1", len(as))
	}
}
