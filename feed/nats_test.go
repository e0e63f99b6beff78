package feed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

const pingsMapping = `{"dataset": "live_pings", "kind": "pings", "format": "ndjson",
 "fields": {"device": {"from": "imei", "normalize": "id"}, "at": {"from": "ts", "normalize": "time", "layout": "unix"},
  "lat": {"from": "pos.lat", "normalize": "lat"}, "lon": {"from": "pos.lon", "normalize": "lon"}}}`

func natsURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("WRIT_TEST_NATS")
	if u == "" {
		t.Skip("NATS tests skipped: set WRIT_TEST_NATS=nats://127.0.0.1:4222 (.ci/run does)")
	}
	return u
}

// setup opens a store with an agreement to hold the feed under, and a fresh
// JetStream stream with n ping events, every tenth one malformed.
func setup(t *testing.T, n int) (*sqlstore.DB, *ingest.Mapping, ingest.Basis, NATS) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "writ.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := &writ.User{Username: "op", Role: writ.RoleAdmin, Active: true, PasswordHash: "x"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	ag := &writ.Agreement{Name: "carrier feed", Dataset: "live_pings", Parties: []string{"carrier", "police"},
		Purposes: []string{"investigations"}, RetentionDays: 30, ExpiresAt: time.Now().Add(24 * time.Hour), CreatedBy: u.ID}
	if err := db.CreateAgreement(ctx, ag); err != nil {
		t.Fatal(err)
	}
	m, err := ingest.ParseMapping(strings.NewReader(pingsMapping))
	if err != nil {
		t.Fatal(err)
	}

	var b [4]byte
	rand.Read(b[:])
	name := "WRIT_TEST_" + strings.ToUpper(hex.EncodeToString(b[:]))
	subject := "writtest." + strings.ToLower(name) + ".pings"
	nc, err := nats.Connect(natsURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), name) })
	for i := range n {
		msg := fmt.Sprintf(`{"imei": "dev-%d", "ts": %d, "pos": {"lat": 50.8%d, "lon": 4.3%d}}`, i%7, 1767225600+i*60, i%10, i%10)
		if i%10 == 9 {
			msg = fmt.Sprintf(`{"imei": "dev-%d", "ts": %d, "pos": {"lat": 123, "lon": 4.3}}`, i%7, 1767225600+i*60)
		}
		if _, err := js.Publish(ctx, subject, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	return db, m, ingest.Basis{Kind: "agreement", ID: ag.ID}, NATS{URL: natsURL(t), Stream: name, Batch: 64,
		MaxWait: 200 * time.Millisecond, StopWhenIdle: true}
}

func counts(t *testing.T, db *sqlstore.DB) (pings, quarantined int) {
	t.Helper()
	if err := db.Reader().QueryRow(`SELECT count(*) FROM pings`).Scan(&pings); err != nil {
		t.Fatal(err)
	}
	if err := db.Reader().QueryRow(`SELECT count(*) FROM ingest_quarantine`).Scan(&quarantined); err != nil {
		t.Fatal(err)
	}
	return pings, quarantined
}

// TestReplayStoresOnce consumes a stream, then replays all of it through a
// fresh consumer (as after a lost acknowledgement or a redeployed consumer):
// each event is stored once and each bad message quarantined once.
func TestReplayStoresOnce(t *testing.T) {
	const n = 500
	db, m, basis, cfg := setup(t, n)
	ctx := context.Background()
	var seen int
	report := func(c Committed) { seen += c.Messages }
	if err := Run(ctx, cfg, db, m, basis, report); err != nil {
		t.Fatalf("Run = %v", err)
	}
	p, q := counts(t, db)
	if p != n-n/10 || q != n/10 || seen != n {
		t.Fatalf("after one pass: %d pings, %d quarantined, %d messages seen; want %d, %d, %d", p, q, seen, n-n/10, n/10, n)
	}
	var reason string
	db.Reader().QueryRow(`SELECT reason FROM ingest_quarantine LIMIT 1`).Scan(&reason)
	if reason != ingest.ReasonBadCoordinate {
		t.Errorf("quarantine reason = %q, want %s", reason, ingest.ReasonBadCoordinate)
	}

	for _, durable := range []string{"replay-1", "replay-2"} {
		cfg.Durable = durable
		seen = 0
		if err := Run(ctx, cfg, db, m, basis, report); err != nil {
			t.Fatalf("replay Run = %v", err)
		}
		if seen != n {
			t.Fatalf("replay %s delivered %d messages, want all %d", durable, seen, n)
		}
		if p2, q2 := counts(t, db); p2 != p || q2 != q {
			t.Errorf("after replay %s: %d pings, %d quarantined; want unchanged %d, %d", durable, p2, q2, p, q)
		}
	}
	mark, err := db.StreamMark(ctx, cfg.Name())
	if err != nil || mark != n {
		t.Errorf("StreamMark(%s) = %d, %v; want %d", cfg.Name(), mark, err, n)
	}
}

// TestResume stops a consumer part-way (ctx cancelled) and resumes it: the
// durable consumer continues and nothing is lost or doubled.
func TestResume(t *testing.T) {
	const n = 300
	db, m, basis, cfg := setup(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	got := 0
	err := Run(ctx, cfg, db, m, basis, func(c Committed) {
		got += c.Messages
		if got >= 100 {
			cancel()
		}
	})
	if err != nil {
		t.Fatalf("first Run = %v", err)
	}
	if p, _ := counts(t, db); p == 0 || p >= n-n/10 {
		t.Fatalf("after the interrupted run: %d pings; want some but not all", p)
	}
	if err := Run(context.Background(), cfg, db, m, basis, nil); err != nil {
		t.Fatalf("resumed Run = %v", err)
	}
	if p, q := counts(t, db); p != n-n/10 || q != n/10 {
		t.Errorf("after resuming: %d pings, %d quarantined; want %d, %d", p, q, n-n/10, n/10)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"PINGS": true, "": false, "a b": false, "a.b": false, "a*": false} {
		if err := CheckName("stream", name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
