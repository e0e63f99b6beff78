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
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/world"
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
	Phones    []string          `json:"phones"`  // named by the pen-register order
	Unnamed   string            `json:"unnamed"` // a buyer's phone, not named
	Device    string            `json:"device"`  // the seller's device, named by the warrant
	Plate     string            `json:"plate"`   // a supplier's plate, named by the court order
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
			persons := fs.Int("persons", demoWorld.Persons, "persons in the synthetic world (at least 50)")
			days := fs.Int("days", demoWorld.Days, "days of events in the synthetic world")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("demo takes no arguments")
				}
				cfg := demoWorld
				cfg.Persons, cfg.Days = *persons, *days
				return runDemo(ctx, e, *data, *addr, *fresh, *setupOnly, cfg)
			}
		}}
}

func runDemo(ctx context.Context, e *env, data, addr string, fresh, setupOnly bool, cfg world.Config) error {
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
	lk, err := lookoutService(ctx, e, sys, logger, true)
	if err != nil {
		return err
	}
	defer lk.Close()
	srv := api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log, Logger: logger, Lookouts: lk})
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln, "", "") }()
	base := "http://" + ln.Addr().String()

	if st.CaseID == 0 {
		start := time.Now()
		if err := setupDemo(ctx, e, sys, base, data, st, cfg); err != nil {
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

// demoWorld sizes the demo's synthetic world: small enough to generate and
// ingest in seconds, large enough to hold the ring and a population around it.
var demoWorld = world.Config{Seed: 42, Persons: 250, Days: 14, Density: 0.5}

func setupDemo(ctx context.Context, e *env, sys *system, base, data string, st *demoState, cfg world.Config) error {
	cfg.Out = filepath.Join(data, "world")
	sum, err := world.Generate(ctx, cfg)
	if err != nil {
		return fmt.Errorf("generate the world: %w", err)
	}
	fmt.Fprintf(e.stdout, "generated a world of %d persons over %d days in %s: %d pings, %d contacts, %d plate reads\n",
		sum.Persons, cfg.Days, sum.Elapsed.Round(time.Millisecond), sum.Pings, sum.Contacts, sum.PlateReads)
	truth, err := world.LoadTruth(cfg.Out)
	if err != nil {
		return err
	}

	adminTok, err := loginToken(ctx, base, "admin", st.Passwords["admin"])
	if err != nil {
		return err
	}
	admin := api.NewClient(base, adminTok)
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
	k, err := ivy.CreateCase(ctx, "Counterfeit document ring", "Forged identity documents sold from a print shop in Brussels; suppliers, couriers and buyers.")
	if err != nil {
		return err
	}
	st.CaseID = k.ID
	if _, err := ivy.AddToRoster(ctx, k.ID, ids["sam"], writ.RosterMember); err != nil {
		return err
	}

	// The case's targets: the ring's seller, suppliers and couriers. Buyers
	// are not named, so reading their numbers is refused.
	var phones, devices, plates, subjects []writ.Selector
	for _, m := range truth.Ring.Members {
		if m.Role == "buyer" {
			for _, p := range m.Phones {
				st.Unnamed = p.Number
			}
			continue
		}
		s, err := ivy.CreateSubject(ctx, k.ID, m.Name, m.Role)
		if err != nil {
			return err
		}
		subjects = append(subjects, writ.Selector{Kind: writ.SelSubject, Value: fmt.Sprint(s.ID)})
		for _, p := range m.Phones {
			phones = append(phones, writ.Selector{Kind: writ.SelPhone, Value: p.Number})
			st.Phones = append(st.Phones, p.Number)
		}
		for _, d := range m.Devices {
			devices = append(devices, writ.Selector{Kind: writ.SelDevice, Value: d})
			if m.Role == "seller" && st.Device == "" {
				st.Device = d
			}
		}
		for _, p := range m.Plates {
			plates = append(plates, writ.Selector{Kind: writ.SelPlate, Value: writ.NormalizePlate(p)})
			if m.Role == "supplier" && st.Plate == "" {
				st.Plate = writ.NormalizePlate(p)
			}
		}
	}
	now := time.Now().UTC().Truncate(time.Hour)
	st.From, st.To = truth.Start, truth.End
	st.Auth = map[string]int64{}
	auths := []struct {
		key     string
		req     api.AuthorityRequest
		approve bool
	}{
		{"comms", api.AuthorityRequest{Kind: writ.KindPenRegister, IssuingBody: "Brussels Court of First Instance", Reference: "BR/2026/PR/117",
			Categories: []writ.Category{writ.CatComms}, Selectors: phones}, true},
		{"location", api.AuthorityRequest{Kind: writ.KindSearchWarrant, IssuingBody: "Brussels Investigating Judge", Reference: "BR/2026/SW/342",
			Categories: []writ.Category{writ.CatLocation}, Selectors: devices}, true},
		{"plates", api.AuthorityRequest{Kind: writ.KindCourtOrder, IssuingBody: "Brussels Court of First Instance", Reference: "BR/2026/CO/88",
			Categories: []writ.Category{writ.CatPlates}, Selectors: plates}, true},
		{"records", api.AuthorityRequest{Kind: writ.KindSubpoena, IssuingBody: "Federal Prosecutor", Reference: "FP/2026/SUB/9",
			Categories: []writ.Category{writ.CatRecords}, Selectors: subjects}, false},
	}
	for _, a := range auths {
		a.req.IssuedAt, a.req.ExpiresAt = now.Add(-24*time.Hour), now.Add(60*24*time.Hour)
		a.req.WindowStart, a.req.WindowEnd = st.From, st.To
		got, err := ivy.RequestAuthority(ctx, k.ID, a.req)
		if err != nil {
			return fmt.Errorf("request the %s authority: %w", a.key, err)
		}
		st.Auth[a.key] = got.ID
		if a.approve {
			if _, err := sam.ApproveAuthority(ctx, got.ID); err != nil {
				return fmt.Errorf("approve the %s authority: %w", a.key, err)
			}
		}
	}

	// The data is held under data-sharing agreements (retention by carriers,
	// the plate-reader network, registries and a broker); reads of it still
	// need an authority naming what is read.
	for _, ds := range world.Datasets() {
		ag, err := admin.CreateAgreement(ctx, api.NewAgreement{Name: "demo: " + ds, Dataset: ds,
			Parties: []string{"Federal Police", demoHolder(ds)}, Purposes: []string{"investigation of serious crime"},
			RetentionDays: 365, ExpiresAt: now.Add(365 * 24 * time.Hour)})
		if err != nil {
			return fmt.Errorf("record the %s agreement: %w", ds, err)
		}
		m, err := ingest.LoadMapping(filepath.Join(cfg.Out, "mappings", ds+".json"))
		if err != nil {
			return err
		}
		path, err := demoFile(sum, ds)
		if err != nil {
			return err
		}
		basis := ingest.Basis{Kind: "agreement", ID: ag.ID}
		r := &ingestRun{e: e, sys: sys, m: m, basis: basis, opt: ingest.Options{Basis: basis}}
		if err := r.run(ctx, []string{filepath.Join(cfg.Out, path)}); err != nil {
			return err
		}
	}
	return nil
}

func demoHolder(dataset string) string {
	switch dataset {
	case "pings", "contacts":
		return "Mobile carrier NV"
	case "plate_reads":
		return "Regional ANPR network"
	}
	return "Holder of " + dataset
}

// demoFile finds the file Generate wrote for a dataset.
func demoFile(sum *world.Summary, dataset string) (string, error) {
	for _, f := range sum.Files {
		base := filepath.Base(f.Path)
		if (f.Kind == "source" || f.Kind == "event") && strings.SplitN(base, ".", 2)[0] == dataset {
			return f.Path, nil
		}
	}
	return "", fmt.Errorf("the world has no file for dataset %s", dataset)
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
  # selector_named: the order does not name the buyers' phones
  %s
  # window_inside: the window starts before the order's
  %s
  # authority_approved: the subpoena was requested but never approved
  %s
  # roster_member: olga is not on the case
  WRIT_TOKEN=%s %s

Analysis, each read audited like any other:
  %s
  %s
  %s
  %s

The same over HTTP:
  curl -s -H 'Authorization: Bearer %s' '%s/api/cases/%d/contacts?authority=%d&purpose=map+the+ring&from=%sT00:00:00Z&to=%sT00:00:00Z' | head -c 600

Lookouts: a standing query under the plates order; --retro checks the past first,
inside the order's window (the world's data is past, so new reads would be outside it):
  writ lookout create --case %d --authority %d --kind hotlist --name "supplier's car" --purpose 'tell us when the car is seen' --selector plate:%s --retro %dh
  writ alerts --case %d             # add --follow to wait for new ones

Audit (as audrey, or locally on the data directory):
  WRIT_TOKEN=%s writ audit entries --limit 5
  writ audit verify --data %s
  writ audit checkpoint --data %s
`, base, data, data, demoMarker, st.CaseID, base, st.Tokens["ivy"],
		read("contacts", "comms", ""),
		read("contacts", "comms", " --selector phone:"+st.Unnamed),
		strings.Replace(read("contacts", "comms", ""), "--from "+day(st.From.Add(24*time.Hour)), "--from "+day(st.From.Add(-10*24*time.Hour)), 1),
		read("records", "records", ""),
		st.Tokens["olga"], read("contacts", "comms", ""),
		strings.Replace(read("comms communities", "comms", ""), "writ read comms", "writ comms", 1),
		strings.Replace(read("location homework", "location", " --selector device:"+st.Device), "writ read location", "writ location", 1),
		strings.Replace(read("location colocation", "location", " --selector device:"+st.Device+" --exclude homework --tz Europe/Brussels"), "writ read location", "writ location", 1),
		strings.Replace(read("plates convoy", "plates", " --selector plate:"+st.Plate), "writ read plates", "writ plates", 1),
		st.Tokens["ivy"], base, st.CaseID, st.Auth["comms"], day(st.From.Add(24*time.Hour)), day(st.To),
		st.CaseID, st.Auth["plates"], st.Plate, int(time.Since(st.From).Hours())+24, st.CaseID,
		st.Tokens["audrey"], data, data)
}
