package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ/api"
)

// TestLookoutCommands creates a hotlist lookout with a retroactive check on
// a demo case through the CLI, reads its alerts, lists and pauses it.
func TestLookoutCommands(t *testing.T) {
	c := newCLI(t)
	data := filepath.Join(t.TempDir(), "demo")
	if code, out, errs := c.run("", "demo", "--data", data, "--addr", "127.0.0.1:0", "--setup-only", "--persons", "80", "--days", "3"); code != 0 {
		t.Fatalf("writ demo --setup-only = exit %d\n%s\n%s", code, out, errs)
	}
	var st demoState
	b, err := os.ReadFile(filepath.Join(data, demoMarker))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sys, err := (&localFlags{data: data}).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return c.env[k] }}
	lk, err := lookoutService(ctx, e, sys, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log, Lookouts: lk}))
	t.Cleanup(func() { srv.Close(); lk.Close(); sys.Close() })
	c.env["WRIT_SERVER"], c.env["WRIT_TOKEN"] = srv.URL, st.Tokens["ivy"]

	retro := itoa(int64(time.Since(st.From).Hours()) + 24)
	code, out, errs := c.run("", "lookout", "create", "--case", itoa(st.CaseID), "--authority", itoa(st.Auth["plates"]),
		"--kind", "hotlist", "--name", "supplier's car", "--purpose", "tell us when the car is seen",
		"--selector", "plate:"+st.Plate, "--retro", retro+"h")
	if code != 0 || !strings.Contains(out, "active under authority") {
		t.Fatalf("writ lookout create = exit %d\n%s\n%s", code, out, errs)
	}
	id := strings.Fields(out)[1]
	code, out, errs = c.run("", "alerts", "--case", itoa(st.CaseID))
	if code != 0 || !strings.Contains(out, "hotlisted plate "+st.Plate) || !strings.Contains(out, "[retro]") {
		t.Errorf("writ alerts = exit %d, want retroactive alerts on %s\n%s\n%s", code, st.Plate, out, errs)
	}
	code, out, _ = c.run("", "lookout", "list", itoa(st.CaseID))
	if code != 0 || !strings.Contains(out, "hotlist") || !strings.Contains(out, "active") {
		t.Errorf("writ lookout list = exit %d\n%s", code, out)
	}
	code, out, _ = c.run("", "lookout", "pause", id)
	if code != 0 || !strings.Contains(out, "is paused") {
		t.Errorf("writ lookout pause = exit %d\n%s", code, out)
	}
	c.env["WRIT_TOKEN"] = st.Tokens["olga"] // not on the case
	code, _, errs = c.run("", "lookout", "list", itoa(st.CaseID))
	if code == 0 || !strings.Contains(errs, "roster_member") {
		t.Errorf("writ lookout list as olga = exit %d, want refused with roster_member\n%s", code, errs)
	}
}
