package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
)

func authorityCmd() *command {
	kinds := make([]string, len(writ.AuthorityKinds))
	for i, k := range writ.AuthorityKinds {
		kinds[i] = string(k)
	}
	return &command{name: "authority", summary: "request, approve, revoke and list legal authorities",
		help: `An authority records the legal process a read runs under. An investigator on the
case requests it; a supervisor who is not the requester approves it; a supervisor
or the case lead can revoke it. Reads are allowed only inside what it covers.`,
		subs: []*command{
			clientLeaf("request", "record an authority for a case (status: requested)",
				"--case ID --kind KIND --body COURT --reference DOCKET --expires T --category C [--category C] --selector kind:value ... --from T --to T [--area 'lat,lon;...']",
				func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
					caseID := fs.Int64("case", 0, "case id")
					kind := fs.String("kind", "", "one of: "+strings.Join(kinds, ", "))
					body := fs.String("body", "", "issuing court or body")
					ref := fs.String("reference", "", "reference (docket number)")
					issued := fs.String("issued", "", "issued at (default now)")
					expires := fs.String("expires", "", "expires at")
					from := fs.String("from", "", "start of the covered time window")
					to := fs.String("to", "", "end of the covered time window")
					area := fs.String("area", "", "covered area as 'lat,lon;lat,lon;lat,lon'")
					var cats, sels multi
					fs.Var(&cats, "category", "covered data category: records, comms, location, plates (repeatable)")
					fs.Var(&sels, "selector", "named selector kind:value — phone:+32..., device:ID, plate:ABC123, subject:ID (repeatable)")
					return func(ctx context.Context, c *clientCtx, args []string) error {
						if *caseID == 0 || *kind == "" || *body == "" || *ref == "" || *expires == "" || len(cats) == 0 {
							return usageErr("--case, --kind, --body, --reference, --expires and --category are required")
						}
						req := api.AuthorityRequest{Kind: writ.AuthorityKind(*kind), IssuingBody: *body, Reference: *ref}
						var err error
						for _, f := range []struct {
							name, val string
							dst       *time.Time
						}{{"issued", *issued, &req.IssuedAt}, {"expires", *expires, &req.ExpiresAt}, {"from", *from, &req.WindowStart}, {"to", *to, &req.WindowEnd}} {
							if *f.dst, err = parseTime(f.name, f.val); err != nil {
								return err
							}
						}
						if req.IssuedAt.IsZero() {
							req.IssuedAt = time.Now().UTC().Truncate(time.Second)
						}
						for _, cat := range cats {
							req.Categories = append(req.Categories, writ.Category(cat))
						}
						if req.Selectors, err = parseSelectors(sels); err != nil {
							return err
						}
						if req.Area, err = parseArea(*area); err != nil {
							return err
						}
						a, err := c.RequestAuthority(ctx, *caseID, req)
						if err != nil || c.json {
							return orJSON(c.e, a, err)
						}
						fmt.Fprintf(c.e.stdout, "authority %d (%s %s) requested; a supervisor other than you must approve it: writ authority approve %d\n",
							a.ID, a.Kind, a.Reference, a.ID)
						return nil
					}
				}),
			clientLeaf("list", "list a case's authorities", "[--status requested|approved|revoked] CASE", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				status := fs.String("status", "", "only authorities with this stored status")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("case", args)
					if err != nil {
						return err
					}
					as, err := c.Authorities(ctx, id, writ.AuthorityStatus(*status))
					if err != nil || c.json {
						return orJSON(c.e, as, err)
					}
					now := time.Now()
					table(c.e.stdout, "ID\tKIND\tREFERENCE\tSTATUS\tCATEGORIES\tSELECTORS\tWINDOW\tEXPIRES", func(w io.Writer) {
						for _, a := range as {
							fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%d\t%s–%s\t%s\n", a.ID, a.Kind, a.Reference, a.StatusAt(now),
								a.Categories, len(a.Selectors), fmtTime(a.WindowStart), fmtTime(a.WindowEnd), fmtTime(a.ExpiresAt))
						}
					})
					return nil
				}
			}),
			clientLeaf("show", "show one authority in full (JSON)", "ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("authority", args)
					if err != nil {
						return err
					}
					a, err := c.Authority(ctx, id)
					return orJSON(c.e, a, err)
				}
			}),
			clientLeaf("approve", "approve a requested authority (a supervisor who did not request it)", "ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("authority", args)
					if err != nil {
						return err
					}
					a, err := c.ApproveAuthority(ctx, id)
					if err != nil || c.json {
						return orJSON(c.e, a, err)
					}
					fmt.Fprintf(c.e.stdout, "authority %d approved; in force until %s\n", a.ID, fmtTime(a.ExpiresAt))
					return nil
				}
			}),
			clientLeaf("revoke", "revoke an authority", "--reason TEXT ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				reason := fs.String("reason", "", "why it is revoked (required)")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("authority", args)
					if err != nil {
						return err
					}
					if strings.TrimSpace(*reason) == "" {
						return usageErr("give --reason")
					}
					a, err := c.RevokeAuthority(ctx, id, *reason)
					if err != nil || c.json {
						return orJSON(c.e, a, err)
					}
					fmt.Fprintf(c.e.stdout, "authority %d revoked\n", a.ID)
					return nil
				}
			}),
		}}
}

func agreementCmd() *command {
	return &command{name: "agreement", summary: "record and list data-sharing agreements",
		subs: []*command{
			clientLeaf("create", "record a data-sharing agreement (admin or supervisor)",
				"--dataset NAME --party A --party B --purpose P --retention-days N --expires T NAME",
				func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
					dataset := fs.String("dataset", "", "dataset it covers")
					days := fs.Int("retention-days", 0, "how long data may be kept")
					expires := fs.String("expires", "", "when the agreement ends")
					var parties, purposes multi
					fs.Var(&parties, "party", "a party to the agreement (repeatable, at least two)")
					fs.Var(&purposes, "purpose", "an allowed purpose (repeatable)")
					return func(ctx context.Context, c *clientCtx, args []string) error {
						if len(args) != 1 {
							return usageErr("give the agreement's name as one argument")
						}
						exp, err := parseTime("expires", *expires)
						if err != nil {
							return err
						}
						a, err := c.CreateAgreement(ctx, api.NewAgreement{Name: args[0], Dataset: *dataset, Parties: parties,
							Purposes: purposes, RetentionDays: *days, ExpiresAt: exp})
						if err != nil || c.json {
							return orJSON(c.e, a, err)
						}
						fmt.Fprintf(c.e.stdout, "agreement %d %q recorded for dataset %s\n", a.ID, a.Name, a.Dataset)
						return nil
					}
				}),
			clientLeaf("list", "list data-sharing agreements", "", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					as, err := c.Agreements(ctx)
					if err != nil || c.json {
						return orJSON(c.e, as, err)
					}
					table(c.e.stdout, "ID\tNAME\tDATASET\tPARTIES\tPURPOSES\tRETENTION\tEXPIRES", func(w io.Writer) {
						for _, a := range as {
							fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%dd\t%s\n", a.ID, a.Name, a.Dataset, strings.Join(a.Parties, "; "),
								strings.Join(a.Purposes, "; "), a.RetentionDays, fmtTime(a.ExpiresAt))
						}
					})
					return nil
				}
			}),
		}}
}
