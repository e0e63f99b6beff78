package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
)

func userCmd() *command {
	return &command{name: "user", summary: "manage users (admins) and your own password",
		subs: []*command{
			{name: "list", summary: "list users", usage: "",
				flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
					var cf clientFlags
					cf.register(fs, e)
					return func(ctx context.Context, args []string) error {
						c, err := cf.client()
						if err != nil {
							return err
						}
						us, err := c.Users(ctx)
						if err != nil || cf.json {
							return orJSON(e, us, err)
						}
						table(e.stdout, "ID\tUSERNAME\tROLE\tACTIVE\tNAME", func(w io.Writer) {
							for _, u := range us {
								fmt.Fprintf(w, "%d\t%s\t%s\t%v\t%s\n", u.ID, u.Username, u.Role, u.Active, u.DisplayName)
							}
						})
						return nil
					}
				}},
			{name: "create", summary: "create a user (password from stdin or $WRIT_NEW_PASSWORD)", usage: "--role ROLE [--name 'Full Name'] USERNAME",
				flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
					var cf clientFlags
					cf.register(fs, e)
					role := fs.String("role", "", "investigator, supervisor, auditor or admin")
					name := fs.String("name", "", "display name")
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 || *role == "" {
							return usageErr("give --role and one username")
						}
						c, err := cf.client()
						if err != nil {
							return err
						}
						pw := e.getenv("WRIT_NEW_PASSWORD")
						generated := false
						if pw == "" {
							if pw, err = readLine(e); err != nil || pw == "" {
								pw, generated = randomPassword(), true
							}
						}
						u, err := c.CreateUser(ctx, api.NewUser{Username: args[0], DisplayName: *name, Role: writ.Role(*role), Password: pw})
						if err != nil || cf.json {
							return orJSON(e, u, err)
						}
						fmt.Fprintf(e.stdout, "created user %d %s (%s)\n", u.ID, u.Username, u.Role)
						if generated {
							fmt.Fprintf(e.stdout, "password (shown once): %s\n", pw)
						}
						return nil
					}
				}},
			{name: "update", summary: "change a user's role, name or active flag, or reset the password", usage: "[--role R] [--name N] [--active=true|false] [--reset-password] ID",
				flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
					var cf clientFlags
					cf.register(fs, e)
					role := fs.String("role", "", "new role")
					name := fs.String("name", "", "new display name")
					active := fs.String("active", "", "true to activate, false to deactivate")
					reset := fs.Bool("reset-password", false, "set a new random password and print it")
					return func(ctx context.Context, args []string) error {
						id, err := oneID("user", args)
						if err != nil {
							return err
						}
						var p api.UserPatch
						if *role != "" {
							r := writ.Role(*role)
							p.Role = &r
						}
						if *name != "" {
							p.DisplayName = name
						}
						switch *active {
						case "":
						case "true", "false":
							b := *active == "true"
							p.Active = &b
						default:
							return usageErr("--active must be true or false")
						}
						var pw string
						if *reset {
							pw = randomPassword()
							p.Password = &pw
						}
						c, err := cf.client()
						if err != nil {
							return err
						}
						u, err := c.UpdateUser(ctx, id, p)
						if err != nil || cf.json {
							return orJSON(e, u, err)
						}
						fmt.Fprintf(e.stdout, "user %d %s: role %s, active %v\n", u.ID, u.Username, u.Role, u.Active)
						if *reset {
							fmt.Fprintf(e.stdout, "new password (shown once): %s\n", pw)
						}
						return nil
					}
				}},
			{name: "passwd", summary: "change your own password (current, then new, one per line on stdin)", usage: "",
				flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
					var cf clientFlags
					cf.register(fs, e)
					return func(ctx context.Context, args []string) error {
						c, err := cf.client()
						if err != nil {
							return err
						}
						cur, err := readPassword(e, "current password: ")
						if err != nil {
							return err
						}
						next, err := readLine(e)
						if err != nil {
							return usageErr("give the new password on the next line of standard input")
						}
						if err := c.ChangePassword(ctx, cur, next); err != nil {
							return err
						}
						fmt.Fprintln(e.stdout, "password changed")
						return nil
					}
				}},
		}}
}

// orJSON prints v as JSON unless err is set.
func orJSON(e *env, v any, err error) error {
	if err != nil {
		return err
	}
	return printJSON(e, v)
}
