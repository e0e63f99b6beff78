package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/writhq/writ/api"
)

func readCmd() *command {
	leaf := func(name, summary string, fetch func(ctx context.Context, c *clientCtx, caseID int64, q api.ReadQuery) error) *command {
		return clientLeaf(name, summary,
			"--case ID --authority ID --purpose TEXT --from T --to T [--selector kind:value ...] [--area 'lat,lon;...'] [--limit N] [--after ID]",
			func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				var rf readFlags
				rf.register(fs, "authority the read runs under", "selector kind:value (repeatable; default: all the authority names)", "", true)
				limit := fs.Int("limit", 0, "rows per page (default 1000)")
				after := fs.Int64("after", 0, "continue after this row id")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					caseID, q, err := rf.query(true)
					if err != nil {
						return err
					}
					q.Limit, q.After = *limit, *after
					return fetch(ctx, c, caseID, q)
				}
			})
	}
	return &command{name: "read", summary: "read case data under an authority (every read is audited)",
		help: `Each read names the authority it runs under and its purpose. The server checks
it against the authority and, if it is granted, returns only rows inside it. If it
is denied, the error names the rule that failed. Either way, the decision is in
the audit log.`,
		subs: []*command{
			leaf("contacts", "communications metadata (category comms, phone selectors)", func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery) error {
				p, err := c.Contacts(ctx, id, q)
				if err != nil || c.json {
					return orJSON(c.e, p, err)
				}
				grantLine(c, p.Grant, len(p.Rows), p.NextAfter)
				table(c.e.stdout, "ID\tSTARTED\tCALLER\tCALLEE\tSECONDS\tTYPE", func(w io.Writer) {
					for _, r := range p.Rows {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\n", r.ID, fmtTime(r.StartedAt), r.Caller, r.Callee, r.DurationSec, r.Type)
					}
				})
				return nil
			}),
			leaf("pings", "device locations (category location, device selectors)", func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery) error {
				p, err := c.Pings(ctx, id, q)
				if err != nil || c.json {
					return orJSON(c.e, p, err)
				}
				grantLine(c, p.Grant, len(p.Rows), p.NextAfter)
				table(c.e.stdout, "ID\tAT\tDEVICE\tLAT\tLON\tACCURACY", func(w io.Writer) {
					for _, r := range p.Rows {
						fmt.Fprintf(w, "%d\t%s\t%s\t%.5f\t%.5f\t%.0fm\n", r.ID, fmtTime(r.At), r.Device, r.Lat, r.Lon, r.AccuracyM)
					}
				})
				return nil
			}),
			leaf("plates", "licence-plate reads (category plates, plate selectors)", func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery) error {
				p, err := c.PlateReads(ctx, id, q)
				if err != nil || c.json {
					return orJSON(c.e, p, err)
				}
				grantLine(c, p.Grant, len(p.Rows), p.NextAfter)
				table(c.e.stdout, "ID\tAT\tPLATE\tCAMERA\tLAT\tLON", func(w io.Writer) {
					for _, r := range p.Rows {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%.5f\t%.5f\n", r.ID, fmtTime(r.At), r.Plate, r.Camera, r.Lat, r.Lon)
					}
				})
				return nil
			}),
			leaf("records", "records about case subjects (category records, subject selectors)", func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery) error {
				p, err := c.Records(ctx, id, q)
				if err != nil || c.json {
					return orJSON(c.e, p, err)
				}
				grantLine(c, p.Grant, len(p.Rows), p.NextAfter)
				table(c.e.stdout, "ID\tOBSERVED\tSUBJECT\tDATASET\tFIELDS", func(w io.Writer) {
					for _, r := range p.Rows {
						fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%v\n", r.ID, fmtTime(r.ObservedAt), r.SubjectID, r.Prov.Dataset, r.Fields)
					}
				})
				return nil
			}),
		}}
}

func grantLine(c *clientCtx, g api.GrantInfo, n int, next int64) {
	fmt.Fprintf(c.e.stderr, "granted under authority %d (%s), %s–%s: %d rows", g.AuthorityID, g.AuthorityKind, fmtTime(g.From), fmtTime(g.To), n)
	if next > 0 {
		fmt.Fprintf(c.e.stderr, "; more with --after %d", next)
	}
	fmt.Fprintln(c.e.stderr)
}
