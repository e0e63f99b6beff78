package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
)

// TestMain lets the crash test run this test binary as the writ binary.
func TestMain(m *testing.M) {
	if args := os.Getenv("WRIT_TEST_RUN_MAIN"); args != "" {
		os.Exit(run(context.Background(), newEnv(), strings.Split(args, "\x1f")))
	}
	os.Exit(m.Run())
}

const corpus = "../../ingest/testdata"

// ingestEnv is an initialised data directory with an approved authority
// (covering every category) and an agreement for "population-registry".
type ingestEnv struct {
	c          *cli
	data       string
	authority  int64
	requested  int64 // an authority not approved
	agreement  int64
	expiredAgr int64
}

func newIngestEnv(t *testing.T) *ingestEnv {
	t.Helper()
	c := newCLI(t)
	data := filepath.Join(t.TempDir(), "d")
	if code, _, errs := c.run("", "init", "--data", data); code != 0 {
		t.Fatalf("writ init = %d, %s", code, errs)
	}
	l := &localFlags{data: data}
	ctx := context.Background()
	st, err := l.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ivy := &writ.User{Username: "ivy", Role: writ.RoleInvestigator, Active: true, PasswordHash: "x"}
	sam := &writ.User{Username: "sam", Role: writ.RoleSupervisor, Active: true, PasswordHash: "x"}
	for _, u := range []*writ.User{ivy, sam} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	k := &writ.Case{Title: "Counterfeit documents"}
	if err := st.CreateCase(ctx, k, ivy.ID); err != nil {
		t.Fatal(err)
	}
	now := writ.Now()
	auth := func() *writ.Authority {
		a := &writ.Authority{CaseID: k.ID, Kind: writ.KindCourtOrder, IssuingBody: "Court", Reference: "CO-1",
			IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(30 * 24 * time.Hour), Categories: slices.Clone(writ.Categories),
			Selectors:   []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}},
			WindowStart: now.Add(-365 * 24 * time.Hour), WindowEnd: now, RequestedBy: ivy.ID}
		if err := st.CreateAuthority(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	e := &ingestEnv{c: c, data: data}
	e.authority = auth().ID
	if _, err := st.ApproveAuthority(ctx, e.authority, sam.ID); err != nil {
		t.Fatal(err)
	}
	e.requested = auth().ID
	for _, exp := range []time.Time{now.Add(24 * time.Hour), now.Add(-24 * time.Hour)} {
		ag := &writ.Agreement{Name: "registry", Dataset: "population-registry", Parties: []string{"Registry", "Police"},
			Purposes: []string{"investigations"}, RetentionDays: 30, ExpiresAt: exp, CreatedBy: ivy.ID}
		if err := st.CreateAgreement(ctx, ag); err != nil {
			t.Fatal(err)
		}
		if e.agreement == 0 {
			e.agreement = ag.ID
		} else {
			e.expiredAgr = ag.ID
		}
	}
	return e
}

func (e *ingestEnv) ingest(args ...string) (int, string, string) {
	return e.c.run("", append([]string{"ingest", "--data", e.data}, args...)...)
}

func (e *ingestEnv) auditEntries(t *testing.T, action string) []writ.AuditEntry {
	t.Helper()
	l := &localFlags{data: e.data}
	sys, err := l.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	all, err := sys.log.Entries(context.Background(), writ.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []writ.AuditEntry
	for _, a := range all {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

func TestIngestCommand(t *testing.T) {
	e := newIngestEnv(t)
	pings, mapping := filepath.Join(corpus, "pings.csv"), filepath.Join(corpus, "mappings", "pings_csv.json")
	auth := fmt.Sprint(e.authority)
	code, out, errs := e.ingest("--mapping", mapping, "--authority", auth, pings)
	if code != 0 || !strings.Contains(out, "15 rows read, 5 stored, 0 duplicates skipped, 10 quarantined") ||
		!strings.Contains(out, "bad_coordinate 3") {
		t.Fatalf("writ ingest = exit %d, %q, %q; want 15 read, 5 stored, 10 quarantined by reason", code, out, errs)
	}
	// The same content under another name adds nothing.
	copyPath := filepath.Join(t.TempDir(), "renamed.csv")
	b, _ := os.ReadFile(pings)
	os.WriteFile(copyPath, b, 0o600)
	code, out, errs = e.ingest("--mapping", mapping, "--authority", auth, copyPath)
	if code != 0 || !strings.Contains(out, "15 rows read, 0 stored, 15 duplicates skipped, 0 quarantined") {
		t.Errorf("writ ingest again (renamed) = exit %d, %q, %q; want 15 duplicates", code, out, errs)
	}
	code, out, errs = e.ingest("--mapping", mapping, "--authority", auth, "--batch", "7", pings)
	// The first run took the default for pings; the refusal names it.
	if want := fmt.Sprintf("--batch %d so", ingest.DefaultPingBatchSize); code != 1 || !strings.Contains(errs, want) {
		t.Errorf("writ ingest with another batch size = exit %d, %q, %q; want 1 naming %q", code, out, errs, want)
	}

	code, out, errs = e.c.run("", "ingest", "quarantine", "--data", e.data)
	if code != 0 || strings.Count(out, "pings.csv") != 10 || !strings.Contains(out, "bad_utf8") || !strings.Contains(out, `"35-2099\xff\xfe0-1,`) {
		t.Errorf("writ ingest quarantine = exit %d, %q, %q; want the 10 rows, raw bytes escaped", code, out, errs)
	}
	code, out, _ = e.c.run("", "ingest", "quarantine", "--data", e.data, "--batch", "999")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("writ ingest quarantine --batch 999 = exit %d, %q; want only the header", code, out)
	}

	runs := e.auditEntries(t, "ingest")
	if len(runs) != 3 || runs[0].Results != 5 || runs[0].AuthorityID != e.authority ||
		!strings.Contains(runs[0].Reason, "carrier-location") || !strings.Contains(runs[0].Reason, "sha256:") {
		t.Errorf("audit entries of ingest runs = %+v; want 3, the first storing 5 rows of carrier-location", runs)
	}
	if got := e.auditEntries(t, "ingest.quarantine"); len(got) != 2 || got[0].Results != 10 {
		t.Errorf("audit entries of quarantine listings = %+v; want 2, the first with 10 rows", got)
	}
	if code, out, errs := e.c.run("", "audit", "verify", "--data", e.data); code != 0 {
		t.Errorf("writ audit verify = %d, %q, %q", code, out, errs)
	}
}

func TestIngestRefused(t *testing.T) {
	e := newIngestEnv(t)
	pings, pingsMap := filepath.Join(corpus, "pings.csv"), filepath.Join(corpus, "mappings", "pings_csv.json")
	reg, regMap := filepath.Join(corpus, "registry.tsv"), filepath.Join(corpus, "mappings", "registry_tsv.json")
	id := func(v int64) string { return fmt.Sprint(v) }
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no mapping", []string{"--authority", "1", pings}, 2, "--mapping is required"},
		{"no basis", []string{"--mapping", pingsMap, pings}, 2, "either --authority ID or --agreement ID"},
		{"two bases", []string{"--mapping", pingsMap, "--authority", "1", "--agreement", "1", pings}, 2, "either --authority"},
		{"no files", []string{"--mapping", pingsMap, "--authority", "1"}, 2, "at least one file"},
		{"bad batch", []string{"--mapping", pingsMap, "--authority", "1", "--batch", "0", pings}, 2, "--batch 0"},
		{"unknown authority", []string{"--mapping", pingsMap, "--authority", "999", pings}, 1, "not found"},
		{"authority not approved", []string{"--mapping", pingsMap, "--authority", id(e.requested), pings}, 1, "is requested, not approved"},
		{"agreement expired", []string{"--mapping", regMap, "--agreement", id(e.expiredAgr), reg}, 1, "expired"},
		{"agreement for another dataset", []string{"--mapping", pingsMap, "--agreement", id(e.agreement), pings}, 1, `covers dataset "population-registry"`},
		{"missing file", []string{"--mapping", pingsMap, "--authority", id(e.authority), "nothing.csv"}, 1, "nothing.csv"},
		{"bad mapping", []string{"--mapping", pings, "--authority", id(e.authority), pings}, 1, "not a valid mapping"},
	}
	for _, tt := range tests {
		code, _, errs := e.ingest(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("writ ingest (%s) = exit %d, %q; want %d and %q", tt.name, code, errs, tt.code, tt.want)
		}
	}
	denied := e.auditEntries(t, "ingest")
	if len(denied) != 4 || denied[0].Decision != writ.DecisionDenied || denied[0].Rule != "ingest_basis" {
		t.Errorf("audit entries = %+v; want 4 denials (unknown, unapproved, expired, other dataset)", denied)
	}
	if code, out, _ := e.ingest("--mapping", regMap, "--agreement", id(e.agreement), reg); code != 0 || !strings.Contains(out, "2 stored") {
		t.Errorf("writ ingest (registry under its agreement) = exit %d, %q; want 2 stored", code, out)
	}
}

// TestIngestCrash kills 'writ ingest' (SIGKILL) in the middle of a file, runs
// it again, and checks the result equals one clean run: no half batch after
// the kill, nothing lost or doubled after the re-run.
func TestIngestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: slow")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "pings.csv")
	writePings(t, file, 100_000)
	mapping := filepath.Join(corpus, "mappings", "pings_csv.json")

	clean := newIngestEnv(t)
	if code, out, errs := clean.ingest("--mapping", mapping, "--authority", fmt.Sprint(clean.authority), "--batch", "1000", file); code != 0 {
		t.Fatalf("clean run = %d, %s, %s", code, out, errs)
	}
	want := tableCounts(t, clean.data)

	e := newIngestEnv(t)
	args := []string{"ingest", "--data", e.data, "--mapping", mapping, "--authority", fmt.Sprint(e.authority), "--batch", "1000", file}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WRIT_TEST_RUN_MAIN="+strings.Join(args, "\x1f"))
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
		}
		exited <- cmd.Wait()
	}()
	// Kill it once a few batches are in, while it is still going. The
	// watcher reads through a read-only connection of its own, so that it
	// never holds the write lock the child needs.
	watch, err := sql.Open("sqlite", "file:"+filepath.Join(e.data, "writ.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := watch.QueryRow("SELECT count(*) FROM ingest_batches").Scan(&n); err == nil && n >= 3 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("writ ingest ended (%v) before it could be killed; make the file bigger", err)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no batch committed in 60s")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill writ ingest: %v (it finished first; make the file bigger)", err)
	}
	<-exited
	after := tableCounts(t, e.data)
	t.Logf("killed after %d of %d batches", after["ingest_batches"], want["ingest_batches"])
	if after["ingest_batches"] >= want["ingest_batches"] {
		t.Fatalf("killed run committed %d batches of %d: it was not killed mid-ingest", after["ingest_batches"], want["ingest_batches"])
	}
	if after["pings"] != after["stored"] || after["pings"] != after["ingest_batches"]*1000 {
		t.Errorf("after the kill: %d pings, batch markers say %d stored in %d batches of 1000: a half batch", after["pings"], after["stored"], after["ingest_batches"])
	}
	code, out, errs := e.c.run("", args...)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d duplicates skipped", after["pings"])) {
		t.Errorf("re-run = exit %d, %q, %q; want the %d rows already in skipped", code, out, errs, after["pings"])
	}
	if got := tableCounts(t, e.data); !equalCounts(got, want) {
		t.Errorf("after kill and re-run: %v, want as one clean run: %v", got, want)
	}
	if code, out, errs := e.c.run("", "audit", "verify", "--data", e.data); code != 0 {
		t.Errorf("writ audit verify = %d, %q, %q", code, out, errs)
	}
}

// writePings writes n good ping rows.
func writePings(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "imei,time,latitude,longitude,accuracy")
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(w, "dev-%d,%s,%.5f,%.5f,%d\n", i%500, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339),
			50.8+float64(i%1000)/1e4, 4.3+float64(i%777)/1e4, i%40)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// tableCounts reads, with a connection of its own, the row counts that say
// what an ingest stored, and the sum of the batch markers' stored rows.
func tableCounts(t *testing.T, data string) map[string]int {
	t.Helper()
	l := &localFlags{data: data}
	st, err := l.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]int{}
	for _, q := range []struct{ name, sql string }{
		{"pings", "SELECT count(*) FROM pings"},
		// Pings are stored in blocks, one set per batch: a doubled batch
		// shows as a second ping_batches row.
		{"ping_batches", "SELECT count(*) FROM ping_batches"},
		{"ingest_batches", "SELECT count(*) FROM ingest_batches"},
		{"stored", "SELECT COALESCE(sum(rows_stored), 0) FROM ingest_batches"},
		{"ingest_quarantine", "SELECT count(*) FROM ingest_quarantine"},
	} {
		var n int
		if err := st.Reader().QueryRow(q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		out[q.name] = n
	}
	return out
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
