package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/writhq/writ/api"
	"golang.org/x/term"
)

func loginCmd() *command {
	return &command{name: "login", summary: "sign in and save an API token for the other commands",
		usage: "--server URL --user NAME",
		help: `Asks for the password (without echo on a terminal; otherwise reads one line from
standard input, or takes $WRIT_PASSWORD), signs in, and saves an API token and the
server URL in ~/.config/writ/credentials.json (mode 0600).`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			server := fs.String("server", e.getenv("WRIT_SERVER"), "server URL ($WRIT_SERVER)")
			user := fs.String("user", e.getenv("USER"), "username")
			return func(ctx context.Context, args []string) error {
				if *server == "" {
					return usageErr("give --server URL (e.g. http://127.0.0.1:8080)")
				}
				password, err := readPassword(e, fmt.Sprintf("password for %s: ", *user))
				if err != nil {
					return err
				}
				host, _ := os.Hostname()
				resp, err := api.NewClient(*server, "").Login(ctx, *user, password, "writ CLI on "+host)
				if err != nil {
					return err
				}
				p, err := saveCredentials(e, &credentials{Server: *server, Token: resp.Token, User: *user})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "logged in to %s as %s (%s); token saved in %s, expires %s\n",
					*server, resp.User.Username, resp.User.Role, p, fmtTime(resp.ExpiresAt))
				return nil
			}
		}}
}

func logoutCmd() *command {
	return &command{name: "logout", summary: "revoke the saved API token and forget it",
		usage: "",
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var cf clientFlags
			cf.register(fs, e)
			return func(ctx context.Context, args []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				if err := c.Logout(ctx); err != nil {
					return err
				}
				saved, _ := loadCredentials(e)
				if _, err := saveCredentials(e, &credentials{Server: saved.Server}); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "logged out")
				return nil
			}
		}}
}

func readPassword(e *env, prompt string) (string, error) {
	if p := e.getenv("WRIT_PASSWORD"); p != "" {
		return p, nil
	}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		return string(b), err
	}
	line, err := readLine(e)
	if err != nil || strings.TrimSpace(line) == "" {
		return "", errors.New("no password: type it at the prompt, pipe it on standard input, or set WRIT_PASSWORD")
	}
	return line, nil
}
