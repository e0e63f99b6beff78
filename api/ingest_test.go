package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
)

const streamMapping = `{"dataset": "live_contacts", "kind": "contacts", "format": "ndjson",
 "fields": {"caller": {"from": "a", "normalize": "phone"}, "callee": {"from": "b", "normalize": "phone"},
  "started_at": {"from": "t", "normalize": "time"}, "duration_s": {"from": "d", "normalize": "int"}}}`

func ndjson(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, `{"a": "not a phone", "b": "+3247100%04d", "t": "2026-03-02T10:00:00Z"}`+"\n", i)
			continue
		}
		fmt.Fprintf(&b, `{"a": "+3247100%04d", "b": "+3247200%04d", "t": "2026-03-02T%02d:%02d:00Z", "d": %d}`+"\n", i, i, i/60%24, i%60, i)
	}
	return b.String()
}

// TestIngestStream streams NDJSON into a stream, resends an overlapping
// request, and checks each line is stored (or quarantined) once, that only
// admins may stream, and that each request is audited.
func TestIngestStream(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	e.srv.cfg.Mappings = func(name string) (*ingest.Mapping, error) {
		if name != "live_contacts" {
			return nil, writ.Errorf(writ.ENotFound, "no mapping %q", name)
		}
		return ingest.ParseMapping(strings.NewReader(streamMapping))
	}
	ag, err := e.admin.CreateAgreement(ctx, NewAgreement{Name: "carrier", Dataset: "live_contacts",
		Parties: []string{"carrier", "police"}, Purposes: []string{"investigations"}, RetentionDays: 30,
		ExpiresAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	basis := ingest.Basis{Kind: "agreement", ID: ag.ID}

	res, err := e.admin.IngestStream(ctx, "carrier-a", "live_contacts", basis, 1, strings.NewReader(ndjson(1, 5000)))
	if err != nil {
		t.Fatalf("IngestStream = %v", err)
	}
	if res.Lines != 5000 || res.Stored != 4500 || res.Quarantined != 500 || res.ByReason[ingest.ReasonBadPhone] != 500 || res.LastSeq != 5000 {
		t.Fatalf("IngestStream = %+v; want 5000 lines, 4500 stored, 500 quarantined as bad_phone", res)
	}
	// The client resends lines 4001-6000 (it never saw the answer): only
	// 5001-6000 are new.
	res, err = e.admin.IngestStream(ctx, "carrier-a", "live_contacts", basis, 4001, strings.NewReader(ndjson(4001, 2000)))
	if err != nil {
		t.Fatalf("IngestStream (resend) = %v", err)
	}
	if res.Stored != 900 || res.Skipped != 1000 || res.Quarantined != 100 {
		t.Errorf("resend = %+v; want 900 stored, 1000 skipped, 100 quarantined", res)
	}
	var n int
	e.db.Reader().QueryRow(`SELECT count(*) FROM contacts`).Scan(&n)
	if n != 5400 {
		t.Errorf("contacts stored = %d, want 5400", n)
	}
	if got := e.lastEntry("ingest.stream"); got.Decision != writ.DecisionDone || !strings.Contains(got.Reason, "900 stored") {
		t.Errorf("audit entry = %+v; want done with the counts", got)
	}

	_, ivy := e.user("ivy", writ.RoleInvestigator)
	_, err = ivy.IngestStream(ctx, "carrier-a", "live_contacts", basis, 1, strings.NewReader(ndjson(1, 1)))
	wantErr(t, "investigator streaming", err, writ.EForbidden, "")
	_, err = e.admin.IngestStream(ctx, "carrier-a", "nope", basis, 1, strings.NewReader(ndjson(1, 1)))
	wantErr(t, "unknown mapping", err, writ.ENotFound, "")
	_, err = e.admin.IngestStream(ctx, "carrier-a", "live_contacts", ingest.Basis{Kind: "agreement", ID: 999}, 1, strings.NewReader(ndjson(1, 1)))
	if err == nil {
		t.Error("IngestStream under an unknown agreement succeeded")
	}
}
