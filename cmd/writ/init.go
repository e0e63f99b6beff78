package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
	"github.com/writhq/writ/audit"
)

func initCmd() *command {
	return &command{name: "init", summary: "create a data directory, its audit keys and the first admin",
		usage: "[--data DIR] [--db URL] [--admin NAME] [--password-file FILE]",
		help: `Creates the data directory (mode 0700), the database (SQLite in the directory, or
the PostgreSQL database given by --db), the audit log's signing and commitment keys,
and the first administrator. The admin's password is read from --password-file,
or from $WRIT_ADMIN_PASSWORD, or generated and printed once.`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			var admin, pwFile, logName string
			l.register(fs, e)
			fs.StringVar(&admin, "admin", "admin", "username of the first administrator")
			fs.StringVar(&pwFile, "password-file", "", "file holding the admin's password (first line)")
			fs.StringVar(&logName, "log-name", "", "name of the audit log in its checkpoints (default writ-audit-<host>)")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("init takes no arguments")
				}
				password := e.getenv("WRIT_ADMIN_PASSWORD")
				if pwFile != "" {
					b, err := os.ReadFile(pwFile)
					if err != nil {
						return err
					}
					password, _, _ = strings.Cut(string(b), "\n")
				}
				generated := password == ""
				if generated {
					password = randomPassword()
				}
				if err := initData(ctx, &l, logName, admin, password); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "initialised %s\n  database: %s\n  audit verifier key: %s\n",
					l.data, dbName(&l), filepath.Join(l.data, audit.VerifierKeyFile))
				if generated {
					fmt.Fprintf(e.stdout, "  admin %q password (shown once): %s\n", admin, password)
				} else {
					fmt.Fprintf(e.stdout, "  admin %q created\n", admin)
				}
				fmt.Fprintf(e.stdout, "next: writ serve --data %s\n", l.data)
				return nil
			}
		}}
}

func dbName(l *localFlags) string {
	if l.db != "" {
		return "postgres"
	}
	return l.sqlitePath()
}

// initData creates the data directory, keys, schema and first admin. It
// refuses a directory that already holds keys or a database with users.
func initData(ctx context.Context, l *localFlags, logName, admin, password string) error {
	if err := api.ValidatePassword(password); err != nil {
		return err
	}
	if err := os.MkdirAll(l.data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(l.data, audit.SignerKeyFile)); err == nil {
		return fmt.Errorf("%s is already initialised (audit keys exist); use another --data, or 'writ serve'", l.data)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	store, err := l.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if n, err := store.CountUsers(ctx); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("the database already has %d users; refusing to initialise over it", n)
	}
	if logName == "" {
		host, _ := os.Hostname()
		logName = "writ-audit-" + sanitizeName(host)
	}
	if err := audit.Init(l.data, logName); err != nil {
		return fmt.Errorf("create audit keys: %w", err)
	}
	hash, err := api.HashPassword(password)
	if err != nil {
		return err
	}
	u := &writ.User{Username: admin, DisplayName: "Administrator", Role: writ.RoleAdmin, Active: true, PasswordHash: hash}
	if err := store.CreateUser(ctx, u); err != nil {
		return err
	}
	log, err := audit.Open(ctx, store, l.data)
	if err != nil {
		return err
	}
	defer log.Close()
	_, err = log.Record(ctx, &writ.AuditEntry{ActorID: u.ID, Actor: u.Username, Action: "init",
		Decision: writ.DecisionDone, Results: -1})
	return err
}

func sanitizeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return -1
	}, s)
	if s == "" {
		return "local"
	}
	return s
}

// randomPassword returns 26 base32 characters (130 bits).
func randomPassword() string { return rand.Text() }

// readLine reads one line from the command's standard input.
func readLine(e *env) (string, error) {
	if e.lines == nil {
		e.lines = bufio.NewReader(e.stdin)
	}
	line, err := e.lines.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
