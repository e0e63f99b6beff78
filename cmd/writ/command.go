package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/writhq/writ"
)

// env is what a command may touch of the outside world, so tests can capture it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	lines          *bufio.Reader // over stdin, shared so that successive reads see every line
}

func newEnv() *env {
	return &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
}

// command is one subcommand: a leaf with run, or a group with subs.
type command struct {
	name    string
	summary string
	usage   string // arguments after the name, e.g. "[flags] ID"
	help    string // longer text shown by --help
	flags   func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
	subs    []*command
}

// errUsage marks an error that should be followed by the command's usage.
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func root() *command {
	return &command{name: "writ", summary: "accountable investigative case platform",
		help: `writ runs lawful investigations accountably: every read of case data runs under a
recorded legal authority, is clipped to what that authority covers, and is written
to an audit log that an overseer can verify.

Local commands work on a data directory (--data, $WRIT_DATA, default ./writ-data).
Client commands talk to a running server (--server/$WRIT_SERVER, token from
'writ login' or $WRIT_TOKEN).`,
		subs: []*command{demoCmd(), initCmd(), serveCmd(), loginCmd(), logoutCmd(), userCmd(), caseCmd(),
			subjectCmd(), authorityCmd(), agreementCmd(), readCmd(), commsCmd(), feedCmd(), auditCmd(), worldCmd(), ingestCmd(), resolveCmd(), locationCmd(), platesCmd(), lookoutCmd(), alertsCmd(), storeCmd()}}
}

func run(ctx context.Context, e *env, args []string) int {
	err := root().exec(ctx, e, nil, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(e.stderr, "writ:", strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	}
	fmt.Fprintln(e.stderr, "writ:", describe(err))
	return 1
}

// describe turns an error into one line that says what to do.
func describe(err error) string {
	var we *writ.Error
	if errors.As(err, &we) {
		// Keep the context callers wrapped around the writ error.
		msg := strings.TrimSuffix(err.Error(), we.Error()) + we.Message
		if we.Rule != "" {
			msg = fmt.Sprintf("denied (%s): %s", we.Rule, we.Message)
		}
		switch we.Kind {
		case writ.EUnauthorized:
			msg += " (run 'writ login' or set WRIT_TOKEN)"
		case writ.EInternal:
			msg = "internal error: " + err.Error()
		}
		return msg
	}
	return err.Error()
}

func (c *command) path(parents []string) string {
	return strings.Join(append(append([]string(nil), parents...), c.name), " ")
}

func (c *command) exec(ctx context.Context, e *env, parents []string, args []string) error {
	// A leaf may also have subcommands ("writ ingest FILE", "writ ingest
	// quarantine"): its first argument picks one if it names one.
	if len(c.subs) > 0 && c.flags != nil && (len(args) == 0 || c.sub(args[0]) == nil) {
		return c.leaf(ctx, e, parents, args)
	}
	if len(c.subs) > 0 {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			c.printGroupHelp(e.stdout, parents)
			if len(args) == 0 {
				return usageErr("%s: missing command", c.path(parents))
			}
			return flag.ErrHelp
		}
		for _, s := range c.subs {
			if s.name == args[0] {
				return s.exec(ctx, e, append(parents, c.name), args[1:])
			}
		}
		return usageErr("%s: unknown command %q; see '%s --help'", c.path(parents), args[0], c.path(parents))
	}
	return c.leaf(ctx, e, parents, args)
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (c *command) leaf(ctx context.Context, e *env, parents []string, args []string) error {
	fs := flag.NewFlagSet(c.path(parents), flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	runFn := c.flags(fs, e)
	fs.Usage = func() { c.printLeafHelp(e.stdout, parents, fs) }
	if err := fs.Parse(interleave(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr("%s: %v; see '%s --help'", c.path(parents), err, c.path(parents))
	}
	err := runFn(ctx, fs.Args())
	if errors.Is(err, errUsage) {
		return fmt.Errorf("%w; see '%s --help'", err, c.path(parents))
	}
	return err
}

// interleave lets flags follow positional arguments ("writ case show 3 --json"),
// which the flag package alone does not allow.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					flags = append(flags, args[i+1])
					i++
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func (c *command) printGroupHelp(w io.Writer, parents []string) {
	fmt.Fprintf(w, "%s — %s\n\n", c.path(parents), c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "%s\n\n", c.help)
	}
	fmt.Fprintf(w, "Usage: %s <command> [flags] [arguments]\n\nCommands:\n", c.path(parents))
	subs := append([]*command(nil), c.subs...)
	if len(parents) > 0 {
		sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	}
	for _, s := range subs {
		fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", c.path(parents))
}

func (c *command) printLeafHelp(w io.Writer, parents []string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s — %s\n\nUsage: %s %s\n", c.path(parents), c.summary, c.path(parents), c.usage)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", c.help)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
