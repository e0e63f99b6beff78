package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/writhq/writ"
)

// clientLeaf builds a leaf command that needs an API client.
func clientLeaf(name, summary, usage string, setup func(fs *flag.FlagSet) func(ctx context.Context, c *clientCtx, args []string) error) *command {
	return &command{name: name, summary: summary, usage: usage,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var cf clientFlags
			cf.register(fs, e)
			run := setup(fs)
			return func(ctx context.Context, args []string) error {
				c, err := cf.client()
				if err != nil {
					return err
				}
				return run(ctx, &clientCtx{Client: c, e: e, json: cf.json}, args)
			}
		}}
}

func caseCmd() *command {
	return &command{name: "case", summary: "open, list and manage cases and their rosters",
		subs: []*command{
			clientLeaf("list", "list the cases you can see", "[--status open|closed|sealed]", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				status := fs.String("status", "", "only cases with this status")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					cs, err := c.Cases(ctx, writ.CaseStatus(*status))
					if err != nil || c.json {
						return orJSON(c.e, cs, err)
					}
					table(c.e.stdout, "ID\tSTATUS\tTITLE\tUPDATED", func(w io.Writer) {
						for _, k := range cs {
							fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", k.ID, k.Status, k.Title, fmtTime(k.UpdatedAt))
						}
					})
					return nil
				}
			}),
			clientLeaf("create", "open a case; you become its lead", "[--description TEXT] TITLE", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				desc := fs.String("description", "", "description")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					if len(args) != 1 {
						return usageErr("give the title as one argument (quote it)")
					}
					k, err := c.CreateCase(ctx, args[0], *desc)
					if err != nil || c.json {
						return orJSON(c.e, k, err)
					}
					fmt.Fprintf(c.e.stdout, "opened case %d %q\n", k.ID, k.Title)
					return nil
				}
			}),
			clientLeaf("show", "show a case with its roster", "ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("case", args)
					if err != nil {
						return err
					}
					k, err := c.Case(ctx, id)
					if err != nil {
						return err
					}
					roster, err := c.Roster(ctx, id)
					if err != nil {
						return err
					}
					if c.json {
						return printJSON(c.e, map[string]any{"case": k, "roster": roster})
					}
					fmt.Fprintf(c.e.stdout, "case %d: %s [%s]\n%s\n\nroster:\n", k.ID, k.Title, k.Status, k.Description)
					table(c.e.stdout, "USER\tNAME\tROLE\tADDED", func(w io.Writer) {
						for _, r := range roster {
							fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", r.UserID, r.Username, r.Role, fmtTime(r.AddedAt))
						}
					})
					return nil
				}
			}),
			clientLeaf("status", "set a case's status (lead or supervisor)", "ID open|closed|sealed", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					if len(args) != 2 {
						return usageErr("give the case id and the status")
					}
					id, err := parseID("case", args[0])
					if err != nil {
						return err
					}
					k, err := c.SetCaseStatus(ctx, id, writ.CaseStatus(args[1]))
					if err != nil || c.json {
						return orJSON(c.e, k, err)
					}
					fmt.Fprintf(c.e.stdout, "case %d is %s\n", k.ID, k.Status)
					return nil
				}
			}),
			clientLeaf("add", "add a user to a case's roster (lead or supervisor)", "[--role member|lead] CASE USER", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				role := fs.String("role", "member", "roster role: member or lead")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					if len(args) != 2 {
						return usageErr("give the case id and the user id")
					}
					cid, err := parseID("case", args[0])
					if err != nil {
						return err
					}
					uid, err := parseID("user", args[1])
					if err != nil {
						return err
					}
					r, err := c.AddToRoster(ctx, cid, uid, writ.RosterRole(*role))
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					fmt.Fprintf(c.e.stdout, "user %d is now %s of case %d\n", r.UserID, r.Role, r.CaseID)
					return nil
				}
			}),
			clientLeaf("remove", "remove a user from a case's roster (lead or supervisor)", "CASE USER", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					if len(args) != 2 {
						return usageErr("give the case id and the user id")
					}
					cid, err := parseID("case", args[0])
					if err != nil {
						return err
					}
					uid, err := parseID("user", args[1])
					if err != nil {
						return err
					}
					if err := c.RemoveFromRoster(ctx, cid, uid); err != nil {
						return err
					}
					fmt.Fprintf(c.e.stdout, "user %d removed from case %d\n", uid, cid)
					return nil
				}
			}),
		}}
}

func subjectCmd() *command {
	return &command{name: "subject", summary: "list and add a case's subjects",
		subs: []*command{
			clientLeaf("list", "list a case's subjects", "CASE", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("case", args)
					if err != nil {
						return err
					}
					ss, err := c.Subjects(ctx, id)
					if err != nil || c.json {
						return orJSON(c.e, ss, err)
					}
					table(c.e.stdout, "ID\tNAME\tNOTES", func(w io.Writer) {
						for _, s := range ss {
							fmt.Fprintf(w, "%d\t%s\t%s\n", s.ID, s.Name, s.Notes)
						}
					})
					return nil
				}
			}),
			clientLeaf("add", "add a subject to a case", "[--notes TEXT] CASE NAME", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				notes := fs.String("notes", "", "notes")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					if len(args) != 2 {
						return usageErr("give the case id and the subject's name (quoted)")
					}
					id, err := parseID("case", args[0])
					if err != nil {
						return err
					}
					s, err := c.CreateSubject(ctx, id, args[1], *notes)
					if err != nil || c.json {
						return orJSON(c.e, s, err)
					}
					fmt.Fprintf(c.e.stdout, "subject %d %q added to case %d\n", s.ID, s.Name, s.CaseID)
					return nil
				}
			}),
		}}
}
