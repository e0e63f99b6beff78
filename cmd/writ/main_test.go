package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/writhq/writ/api"
)

// cli runs writ in-process with captured output and the given environment.
type cli struct {
	t   *testing.T
	env map[string]string
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return c.env[k] }}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{"HOME": t.TempDir()}}
}

// TestHelp runs --help on every command and checks that groups list their
// commands and leaves show their usage.
func TestHelp(t *testing.T) {
	c := newCLI(t)
	var walk func(cmd *command, path []string)
	walk = func(cmd *command, path []string) {
		t.Run(strings.Join(path, "_"), func(t *testing.T) {
			code, out, errs := c.run("", append(path[1:], "--help")...)
			if code != 0 {
				t.Fatalf("writ %s --help: exit %d, stderr %q", strings.Join(path[1:], " "), code, errs)
			}
			want := "Usage: " + strings.Join(path, " ")
			if !strings.Contains(out, want) {
				t.Errorf("writ %s --help output lacks %q:\n%s", strings.Join(path[1:], " "), want, out)
			}
			for _, s := range cmd.subs {
				if !strings.Contains(out, s.name) {
					t.Errorf("writ %s --help does not list %s", strings.Join(path[1:], " "), s.name)
				}
			}
		})
		for _, s := range cmd.subs {
			walk(s, append(append([]string(nil), path...), s.name))
		}
	}
	walk(root(), []string{"writ"})

	if code, _, errs := c.run("", "nonsense"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("writ nonsense = exit %d, %q; want 2 and 'unknown command'", code, errs)
	}
	c.env["WRIT_SERVER"], c.env["WRIT_TOKEN"] = "http://127.0.0.1:1", "x"
	if code, _, errs := c.run("", "read", "contacts", "--case", "1"); code != 2 || !strings.Contains(errs, "required") {
		t.Errorf("writ read contacts without flags = exit %d, %q; want 2 naming the required flags", code, errs)
	}
}

func TestInit(t *testing.T) {
	c := newCLI(t)
	data := filepath.Join(t.TempDir(), "d")
	code, out, errs := c.run("", "init", "--data", data)
	if code != 0 || !strings.Contains(out, "password (shown once)") {
		t.Fatalf("writ init = exit %d, %q, %q; want 0 and a generated password", code, out, errs)
	}
	if code, _, errs := c.run("", "init", "--data", data); code != 1 || !strings.Contains(errs, "already initialised") {
		t.Errorf("second writ init = exit %d, %q; want 1 and 'already initialised'", code, errs)
	}
	if code, _, errs := c.run("", "serve", "--data", filepath.Join(t.TempDir(), "nothing")); code != 1 || !strings.Contains(errs, "writ init") {
		t.Errorf("writ serve on an empty directory = exit %d, %q; want 1 telling to run writ init", code, errs)
	}
	c.env["WRIT_ADMIN_PASSWORD"] = "short"
	if code, _, errs := c.run("", "init", "--data", filepath.Join(t.TempDir(), "e")); code != 1 || !strings.Contains(errs, "12") {
		t.Errorf("writ init with a short password = exit %d, %q; want 1 and the minimum length", code, errs)
	}
}

// TestDemoEndToEnd sets up the demo, serves its data directory, and runs the
// guide's commands through the CLI: a granted read, denials naming their
// rules, the auditor's listing, verification, and tamper detection.
func TestDemoEndToEnd(t *testing.T) {
	c := newCLI(t)
	st, data, stop := servedDemo(t, c, "80")
	// A second run reuses the demo.
	if code, out, _ := c.run("", "demo", "--data", data, "--addr", "127.0.0.1:0", "--setup-only", "--persons", "80", "--days", "3"); code != 0 || !strings.Contains(out, "reusing") {
		t.Fatalf("second writ demo = exit %d, %q; want reuse", code, out)
	}
	l := &localFlags{data: data}
	win := []string{"--case", "1", "--purpose", "map the ring and its contacts",
		"--from", st.From.Add(24 * 3600e9).Format("2006-01-02"), "--to", st.To.Format("2006-01-02")}
	read := func(what string, auth int64, extra ...string) (int, string, string) {
		args := append([]string{"read", what, "--authority", itoa(auth)}, win...)
		return c.run("", append(args, extra...)...)
	}
	code, out, errs := read("contacts", st.Auth["comms"], "--limit", "3")
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(errs, "granted under authority") {
		t.Fatalf("granted read = exit %d\n%s\n%s; want 3 rows", code, out, errs)
	}
	denials := []struct {
		name string
		env  string
		args []string
		rule string
	}{
		{"selector", "ivy", []string{"contacts", itoa(st.Auth["comms"]), "--selector", "phone:" + st.Unnamed}, "selector_named"},
		{"unapproved", "ivy", []string{"records", itoa(st.Auth["records"])}, "authority_approved"},
		{"category", "ivy", []string{"pings", itoa(st.Auth["comms"])}, "category_covered"},
		{"roster", "olga", []string{"contacts", itoa(st.Auth["comms"])}, "roster_member"},
	}
	for _, d := range denials {
		c.env["WRIT_TOKEN"] = st.Tokens[d.env]
		args := append([]string{"read", d.args[0], "--authority", d.args[1]}, win...)
		code, _, errs := c.run("", append(args, d.args[2:]...)...)
		if code != 1 || !strings.Contains(errs, "denied ("+d.rule+")") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and denied (%s)", d.name, code, errs, d.rule)
		}
	}
	c.env["WRIT_TOKEN"] = st.Tokens["ivy"]
	if code, _, errs := c.run("", "audit", "entries"); code != 1 || !strings.Contains(errs, "forbidden") && !strings.Contains(errs, "denied") {
		t.Errorf("audit entries as an investigator = exit %d, %q; want refusal", code, errs)
	}
	c.env["WRIT_TOKEN"] = st.Tokens["audrey"]
	code, out, errs = c.run("", "audit", "entries", "--limit", "1000")
	if code != 0 {
		t.Fatalf("audit entries as auditor = exit %d, %q", code, errs)
	}
	for _, d := range denials {
		if !strings.Contains(out, d.rule) {
			t.Errorf("audit entries lack the %s denial:\n%s", d.rule, out)
		}
	}
	stop()

	if code, out, errs := c.run("", "audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "audit log OK") {
		t.Fatalf("audit verify = exit %d, %q, %q", code, out, errs)
	}
	code, cp, _ := c.run("", "audit", "checkpoint", "--data", data)
	if code != 0 || !strings.HasPrefix(cp, "writ-demo\n") {
		t.Fatalf("audit checkpoint = exit %d, %q", code, cp)
	}
	cpFile := filepath.Join(t.TempDir(), "head.txt")
	os.WriteFile(cpFile, []byte(cp), 0o600)
	if code, out, errs := c.run("", "audit", "verify", "--data", data, "--against", cpFile); code != 0 || !strings.Contains(out, "consistent") {
		t.Errorf("audit verify --against = exit %d, %q, %q", code, out, errs)
	}
	if code, out, _ := c.run("", "audit", "prove", "--data", data, "3"); code != 0 || !strings.Contains(out, "{") {
		t.Errorf("audit prove 3 = exit %d, %q", code, out)
	}
	export := filepath.Join(t.TempDir(), "audit.ndjson")
	if code, _, errs := c.run("", "audit", "export", "--data", data, "-o", export); code != 0 {
		t.Errorf("audit export = exit %d, %q", code, errs)
	}

	tamperVerify(t, c, l, data)
}

// tamperVerify edits the audit log directly in copies of the database (change,
// delete, insert, reorder) and checks that 'writ audit verify' fails naming
// the first bad entry.
func tamperVerify(t *testing.T, c *cli, l *localFlags, data string) {
	orig, err := os.ReadFile(filepath.Join(data, "writ.db"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sql  []string
		want string
	}{
		{"change", []string{`UPDATE audit_entries SET data = replace(data, '"decision":"', '"decision":"x') WHERE idx = 5`}, "entry 5"},
		{"delete", []string{`DELETE FROM audit_entries WHERE idx = 7`}, "entry 7"},
		{"insert", []string{`INSERT INTO audit_entries (idx, data) SELECT max(idx) + 1, data FROM audit_entries`}, "entry "},
		{"reorder", []string{`UPDATE audit_entries SET idx = -1 WHERE idx = 3`, `UPDATE audit_entries SET idx = 3 WHERE idx = 4`,
			`UPDATE audit_entries SET idx = 4 WHERE idx = -1`}, "entry 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(data, "writ.db"), orig, 0o600); err != nil {
				t.Fatal(err)
			}
			store, err := l.openStore(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tt.sql {
				if _, err := store.Writer().Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			store.Close()
			code, _, errs := c.run("", "audit", "verify", "--data", data)
			if code != 1 || !strings.Contains(errs, "FAILED") || !strings.Contains(errs, tt.want) {
				t.Errorf("audit verify after %s = exit %d, %q; want 1 naming %q", tt.name, code, errs, tt.want)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	c := newCLI(t)
	data := filepath.Join(t.TempDir(), "d")
	c.env["WRIT_ADMIN_PASSWORD"] = "correct horse battery"
	if code, _, errs := c.run("", "init", "--data", data); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	l := &localFlags{data: data}
	sys, err := l.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	srv := httptest.NewServer(api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log}))
	defer srv.Close()
	if code, _, errs := c.run("wrong password\n", "login", "--server", srv.URL, "--user", "admin"); code != 1 {
		t.Errorf("login with a wrong password = exit %d, %q; want 1", code, errs)
	}
	if code, out, errs := c.run("correct horse battery\n", "login", "--server", srv.URL, "--user", "admin"); code != 0 || !strings.Contains(out, "logged in") {
		t.Fatalf("login = exit %d, %q, %q", code, out, errs)
	}
	// The saved token is used without WRIT_TOKEN.
	code, out, errs := c.run("a-new-password-for-ivy\n", "user", "create", "--role", "investigator", "ivy")
	if code != 0 || !strings.Contains(out, "created user") {
		t.Fatalf("user create = exit %d, %q, %q", code, out, errs)
	}
	if code, out, _ := c.run("", "user", "list"); code != 0 || !strings.Contains(out, "ivy") || !strings.Contains(out, "admin") {
		t.Errorf("user list = exit %d, %q", code, out)
	}
	if code, _, _ := c.run("", "logout"); code != 0 {
		t.Errorf("logout = exit %d", code)
	}
	if code, _, errs := c.run("", "user", "list"); code != 1 || !strings.Contains(errs, "writ login") {
		t.Errorf("user list after logout = exit %d, %q; want 1 and a hint to log in", code, errs)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// servedDemo sets up a small demo in a temporary directory, serves it over
// the API, and points c at it as ivy. stop ends the server and closes the
// data directory (it is also called at cleanup).
func servedDemo(t *testing.T, c *cli, persons string) (st demoState, data string, stop func()) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "demo")
	if code, out, errs := c.run("", "demo", "--data", data, "--addr", "127.0.0.1:0", "--setup-only", "--persons", persons, "--days", "3"); code != 0 {
		t.Fatalf("writ demo --setup-only = exit %d\n%s\n%s", code, out, errs)
	}
	b, err := os.ReadFile(filepath.Join(data, demoMarker))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	l := &localFlags{data: data}
	sys, err := l.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log}))
	var once sync.Once
	stop = func() { once.Do(func() { srv.Close(); sys.Close() }) }
	t.Cleanup(stop)
	c.env["WRIT_SERVER"] = srv.URL
	c.env["WRIT_TOKEN"] = st.Tokens["ivy"]
	return st, data, stop
}
