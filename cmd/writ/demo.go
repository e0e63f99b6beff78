package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
)

// demoState is saved in the demo's data directory so a second 'writ demo'
// serves the same data and the printed commands keep working.
type demoState struct {
	Passwords map[string]string `json:"passwords"`
	Tokens    map[string]string `json:"tokens"`
	CaseID    int64             `json:"case_id"`
	Auth      map[string]int64  `json:"authorities"`
	From      time.Time         `json:"from"`
	To        time.Time         `json:"to"`
	Phones    []string          `json:"phones"`
}

const demoMarker = "demo.json"

func demoCmd() *command {
	return &command{name: "demo", summary: "set up a demo case with synthetic data and serve it",
		usage: "[--data DIR] [--addr HOST:PORT] [--fresh] [--setup-only]",
		help: `Creates a data directory with an embedded SQLite store, demo users, a case about a
counterfeit-document ring with approved authorities, and synthetic call records,
pings and plate reads. Then it serves the API and prints commands to try: reads
that are granted and reads that are denied, and how to verify the audit log.
Run it again to serve the same demo; use --fresh to start over.`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			data := fs.String("data", "writ-demo", "demo data directory")
			addr := fs.String("addr", "127.0.0.1:8080", "listen address")
			fresh := fs.Bool("fresh", false, "delete an earlier demo in --data and start over")
			setupOnly := fs.Bool("setup-only", false, "set up (or reuse) the demo, print the guide and exit without serving")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("demo takes no arguments")
				}
				return runDemo(ctx, e, *data, *addr, *fresh, *setupOnly)
			}
		}}
}

func runDemo(ctx context.Context, e *env, data, addr string, fresh, setupOnly bool) error {
	l := &localFlags{data: data}
	marker := filepath.Join(data, demoMarker)
	if _, err := os.Stat(data); err == nil {
		if _, err := os.Stat(marker); errors.Is(err, fs.ErrNotExist) {
			if entries, _ := os.ReadDir(data); len(entries) > 0 {
				return fmt.Errorf("%s exists and is not a writ demo; choose another --data", data)
			}
		} else if fresh {
			if err := os.RemoveAll(data); err != nil {
				return err
			}
		}
	}
	var st *demoState
	if b, err := os.ReadFile(marker); err == nil {
		st = &demoState{}
		if err := json.Unmarshal(b, st); err != nil {
			return fmt.Errorf("%s: %w; rerun with --fresh", marker, err)
		}
		fmt.Fprintf(e.stdout, "reusing the demo in %s (--fresh to start over)\n", data)
	} else {
		st = &demoState{Passwords: map[string]string{"admin": randomPassword()}}
		if err := initData(ctx, l, "writ-demo", "admin", st.Passwords["admin"]); err != nil {
			return err
		}
	}
	sys, err := l.open(ctx)
	if err != nil {
		return err
	}
	defer sys.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; is another writ running? pick another --addr", addr, err)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log, Logger: logger})
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln, "", "") }()
	base := "http://" + ln.Addr().String()

	if st.CaseID == 0 {
		start := time.Now()
		if err := setupDemo(ctx, sys, base, st); err != nil {
			return fmt.Errorf("demo setup: %w", err)
		}
		b, _ := json.MarshalIndent(st, "", "  ")
		if err := os.WriteFile(marker, b, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "demo set up in %s (%.1fs)\n", data, time.Since(start).Seconds())
	}
	printGuide(e, base, data, st)
	if setupOnly {
		stop()
		return <-served
	}
	fmt.Fprintf(e.stdout, "\nserving %s — Ctrl-C to stop\n", base)
	return <-served
}

func setupDemo(ctx context.Context, sys *system, base string, st *demoState) error {
	admin := api.NewClient(base, "")
	if _, err := admin.Login(ctx, "admin", st.Passwords["admin"], "demo"); err != nil {
		return err
	}
	adminTok, err := loginToken(ctx, base, "admin", st.Passwords["admin"])
	if err != nil {
		return err
	}
	admin = api.NewClient(base, adminTok)
	st.Tokens = map[string]string{"admin": adminTok}
	ids := map[string]int64{}
	for _, u := range []struct {
		name, full string
		role       writ.Role
	}{{"ivy", "Ivy Peeters (investigator, case lead)", writ.RoleInvestigator}, {"sam", "Sam Claes (supervisor)", writ.RoleSupervisor},
		{"olga", "Olga Maes (investigator on another case)", writ.RoleInvestigator}, {"audrey", "Audrey Smet (auditor)", writ.RoleAuditor}} {
		st.Passwords[u.name] = randomPassword()
		nu, err := admin.CreateUser(ctx, api.NewUser{Username: u.name, DisplayName: u.full, Role: u.role, Password: st.Passwords[u.name]})
		if err != nil {
			return err
		}
		ids[u.name] = nu.ID
		if st.Tokens[u.name], err = loginToken(ctx, base, u.name, st.Passwords[u.name]); err != nil {
			return err
		}
	}
	ivy, sam := api.NewClient(base, st.Tokens["ivy"]), api.NewClient(base, st.Tokens["sam"])
	k, err := ivy.CreateCase(ctx, "Counterfeit document ring", "Forged identity documents sold from a print shop near Brussels-Central.")
	if err != nil {
		return err
	}
	st.CaseID = k.ID
	if _, err := ivy.AddToRoster(ctx, k.ID, ids["sam"], writ.RosterMember); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Hour)
	st.From, st.To = now.Add(-30*24*time.Hour), now
	st.Auth = map[string]int64{}
	w := newDemoWorld(42, st.From, 30, func(c writ.Category) int64 { return st.Auth[string(c)] })
	st.Phones = w.ring
	var subjects []writ.Selector
	for i, name := range []string{"Marc Dubois (seller)", "Leila Haddad (supplier)", "Tom Jacobs (supplier)", "Nina Petrova (courier)", "Yusuf Kaya (courier)", "Eva Wouters (buyer)"} {
		s, err := ivy.CreateSubject(ctx, k.ID, name, "phone "+w.ring[i]+", plate "+w.plates[i])
		if err != nil {
			return err
		}
		subjects = append(subjects, writ.Selector{Kind: writ.SelSubject, Value: fmt.Sprint(s.ID)})
	}
	sels := func(kind writ.SelectorKind, vals []string) []writ.Selector {
		var out []writ.Selector
		for _, v := range vals {
			out = append(out, writ.Selector{Kind: kind, Value: v})
		}
		return out
	}
	centre := writ.Polygon{{Lat: 50.83, Lon: 4.33}, {Lat: 50.83, Lon: 4.39}, {Lat: 50.86, Lon: 4.39}, {Lat: 50.86, Lon: 4.33}}
	auths := []struct {
		key     string
		req     api.AuthorityRequest
		approve bool
	}{
		{"comms", api.AuthorityRequest{Kind: writ.KindPenRegister, IssuingBody: "Brussels Court of First Instance", Reference: "BR/2026/PR/117",
			Categories: []writ.Category{writ.CatComms}, Selectors: sels(writ.SelPhone, w.ring[:4])}, true},
		{"location", api.AuthorityRequest{Kind: writ.KindSearchWarrant, IssuingBody: "Brussels Investigating Judge", Reference: "BR/2026/SW/342",
			Categories: []writ.Category{writ.CatLocation}, Selectors: sels(writ.SelDevice, w.devices), Area: centre}, true},
		{"plates", api.AuthorityRequest{Kind: writ.KindCourtOrder, IssuingBody: "Brussels Court of First Instance", Reference: "BR/2026/CO/88",
			Categories: []writ.Category{writ.CatPlates}, Selectors: sels(writ.SelPlate, w.plates)}, true},
		{"records", api.AuthorityRequest{Kind: writ.KindSubpoena, IssuingBody: "Federal Prosecutor", Reference: "FP/2026/SUB/9",
			Categories: []writ.Category{writ.CatRecords}, Selectors: subjects}, false},
	}
	for _, a := range auths {
		a.req.IssuedAt, a.req.ExpiresAt = now.Add(-24*time.Hour), now.Add(60*24*time.Hour)
		a.req.WindowStart, a.req.WindowEnd = st.From, st.To.Add(24*time.Hour)
		got, err := ivy.RequestAuthority(ctx, k.ID, a.req)
		if err != nil {
			return fmt.Errorf("request %s authority: %w", a.key, err)
		}
		st.Auth[a.key] = got.ID
		if a.approve {
			if _, err := sam.ApproveAuthority(ctx, got.ID); err != nil {
				return fmt.Errorf("approve %s authority: %w", a.key, err)
			}
		}
	}
	// Events were "obtained" under the authorities: regenerate so their
	// provenance names the real authority ids.
	w = newDemoWorld(42, st.From, 30, func(c writ.Category) int64 { return st.Auth[string(c)] })
	if _, err := sys.store.InsertContacts(ctx, w.contacts); err != nil {
		return err
	}
	if _, err := sys.store.InsertPings(ctx, w.pings); err != nil {
		return err
	}
	if _, err := sys.store.InsertPlateReads(ctx, w.plateRead); err != nil {
		return err
	}
	return nil
}

func loginToken(ctx context.Context, base, user, password string) (string, error) {
	resp, err := api.NewClient(base, "").Login(ctx, user, password, "demo")
	if err != nil {
		return "", err
	}
	return resp.Token, nil
}

func printGuide(e *env, base, data string, st *demoState) {
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	read := func(what, auth string, extra string) string {
		return fmt.Sprintf("writ read %s --case %d --authority %d --purpose 'map the ring and its contacts' --from %s --to %s%s",
			what, st.CaseID, st.Auth[auth], day(st.From.Add(24*time.Hour)), day(st.To), extra)
	}
	fmt.Fprintf(e.stdout, `
writ demo — %s (data in %s/, passwords and tokens in %s/%s)

Users: admin, ivy (investigator, lead of case %d), sam (supervisor, approved the
authorities), olga (investigator, not on the case), audrey (auditor).

Use the CLI as ivy:
  alias writ='go run ./cmd/writ'     # or: go build -o writ ./cmd/writ
  export WRIT_SERVER=%s WRIT_TOKEN=%s

Granted (inside the pen-register order):
  %s
Denied; each denial names the rule that failed and is in the audit log:
  # selector_named: the order names four of the ring's six phones
  %s
  # window_inside: the window starts before the order's
  %s
  # authority_approved: the subpoena was requested but never approved
  %s
  # roster_member: olga is not on the case
  WRIT_TOKEN=%s %s

The same over HTTP:
  curl -s -H 'Authorization: Bearer %s' '%s/api/cases/%d/contacts?authority=%d&purpose=map+the+ring&from=%sT00:00:00Z&to=%sT00:00:00Z' | head -c 600

Audit (as audrey, or locally on the data directory):
  WRIT_TOKEN=%s writ audit entries --limit 5
  writ audit verify --data %s
  writ audit checkpoint --data %s
`, base, data, data, demoMarker, st.CaseID, base, st.Tokens["ivy"],
		read("contacts", "comms", ""),
		read("contacts", "comms", " --selector phone:"+st.Phones[5]),
		strings.Replace(read("contacts", "comms", ""), "--from "+day(st.From.Add(24*time.Hour)), "--from "+day(st.From.Add(-10*24*time.Hour)), 1),
		read("records", "records", ""),
		st.Tokens["olga"], read("contacts", "comms", ""),
		st.Tokens["ivy"], base, st.CaseID, st.Auth["comms"], day(st.From.Add(24*time.Hour)), day(st.To),
		st.Tokens["audrey"], data, data)
}
