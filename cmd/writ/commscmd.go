package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/writhq/writ/api"
)

const commsUsage = "--case ID --authority ID --purpose TEXT [--from T] [--to T] [--selector phone:N ...] [--hub-min N] [--hub-factor F]"

func leafComms(name, summary, usage string, extra func(fs *flag.FlagSet) func(args []string, o url.Values) error,
	show func(ctx context.Context, c *clientCtx, caseID int64, q api.ReadQuery, o url.Values) error) *command {
	return clientLeaf(name, summary, commsUsage+usage, func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
		var rf readFlags
		rf.register(fs, "authority covering comms the analysis runs under", "target phone:NUMBER (repeatable; default: all the authority names)", " (default: the authority's)", false)
		hubMin := fs.Int("hub-min", 0, "minimum degree of a hub (default 50)")
		hubFactor := fs.Float64("hub-factor", 0, "a hub has at least this many times the 99th-percentile degree (default 3)")
		var more func(args []string, o url.Values) error
		if extra != nil {
			more = extra(fs)
		}
		return func(ctx context.Context, c *clientCtx, args []string) error {
			caseID, q, err := rf.query(false)
			if err != nil {
				return err
			}
			o := url.Values{}
			if *hubMin > 0 {
				o.Set("hub_min", strconv.Itoa(*hubMin))
			}
			if *hubFactor > 0 {
				o.Set("hub_factor", strconv.FormatFloat(*hubFactor, 'g', -1, 64))
			}
			if more != nil {
				if err := more(args, o); err != nil {
					return err
				}
			} else if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			return show(ctx, c, caseID, q, o)
		}
	})
}

// commsCmd runs communications analyses through the API. Each is one read
// under an authority covering comms, audited with the contacts it read;
// numbers the authority does not name come back as pseudonyms (ps-...).
func commsCmd() *command {
	leaf := leafComms
	multiFlag := func(fs *flag.FlagSet, name, param, usage string) func(args []string, o url.Values) error {
		var m multi
		fs.Var(&m, name, usage)
		return func(args []string, o url.Values) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			for _, v := range m {
				o.Add(param, v)
			}
			return nil
		}
	}
	return &command{name: "comms", summary: "analyse communications metadata under a pen-register order (audited)",
		help: `Each analysis reads the contacts of the targets the authority names (or the
--selector numbers, which it must name) inside its window, and their direct
contacts. Parties the authority does not name are shown as pseudonyms
(ps-...), stable for the authority; use them to refer to those parties.
Finding who holds a number is a separate records read.`,
		subs: []*command{
			leaf("summary", "contact summary per pair and frequency matrix among the targets", " [--party P ...]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					return multiFlag(fs, "party", "party", "only pairs with this party (repeatable)")
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsSummary(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					fmt.Fprintln(c.e.stdout, "contacts from row target to column target:")
					table(c.e.stdout, "\t"+strings.Join(r.Targets, "\t"), func(w io.Writer) {
						for i, t := range r.Targets {
							fmt.Fprint(w, t)
							for _, n := range r.Matrix[i] {
								fmt.Fprintf(w, "\t%d", n)
							}
							fmt.Fprintln(w)
						}
					})
					fmt.Fprintln(c.e.stdout)
					table(c.e.stdout, "A\tB\tCOUNT\tA→B\tB→A\tSECONDS\tFIRST\tLAST\tSTARTS", func(w io.Writer) {
						for _, p := range r.Pairs {
							fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", p.A, p.B, p.Count, p.FromA, p.ToA, p.DurationS, fmtTime(p.First), fmtTime(p.Last), p.Direction)
						}
					})
					return nil
				}),
			leaf("common", "common contacts of the targets", " [--min N]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					min := fs.Int("min", 0, "in contact with at least this many targets (default 2)")
					return func(args []string, o url.Values) error {
						if len(args) > 0 {
							return usageErr("unexpected arguments %q", args)
						}
						if *min > 0 {
							o.Set("min", strconv.Itoa(*min))
						}
						return nil
					}
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsCommon(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					table(c.e.stdout, "PARTY\tTARGETS\tCONTACTS\tHUB", func(w io.Writer) {
						for _, x := range r.Common {
							fmt.Fprintf(w, "%s\t%s\t%d\t%v\n", x.Party, strings.Join(x.Targets, ","), x.Count, x.Hub)
						}
					})
					return nil
				}),
			leaf("expand", "k-hop expansion from the targets, hubs not expanded", " [--k N] [--seed P ...]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					k := fs.Int("k", 0, "hops (default 2)")
					seeds := multiFlag(fs, "seed", "seed", "start from this party (repeatable; default the targets)")
					return func(args []string, o url.Values) error {
						if *k > 0 {
							o.Set("k", strconv.Itoa(*k))
						}
						return seeds(args, o)
					}
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsExpand(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					table(c.e.stdout, "HOP\tPARTY\tTARGET\tHUB", func(w io.Writer) {
						for _, x := range r.Reached {
							fmt.Fprintf(w, "%d\t%s\t%v\t%v\n", x.Hop, x.Party, x.Target, x.Hub)
						}
					})
					return nil
				}),
			leaf("path", "shortest path between two parties (not through hubs)", " A B",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					return func(args []string, o url.Values) error {
						if len(args) != 2 {
							return usageErr("path needs two parties: a number the authority names or a pseudonym")
						}
						o.Set("a", args[0])
						o.Set("b", args[1])
						return nil
					}
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsPath(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					if !r.Found {
						fmt.Fprintf(c.e.stdout, "no path from %s to %s\n", r.A, r.B)
						return nil
					}
					fmt.Fprintf(c.e.stdout, "%d hops: %s\n", r.Hops, strings.Join(r.Path, " → "))
					return nil
				}),
			leaf("communities", "communities of the granted graph", " [--resolution R] [--weighted]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					res := fs.Float64("resolution", 0, "resolution (default 1; higher: smaller communities)")
					weighted := fs.Bool("weighted", false, "weight edges by contact count")
					return func(args []string, o url.Values) error {
						if len(args) > 0 {
							return usageErr("unexpected arguments %q", args)
						}
						if *res > 0 {
							o.Set("resolution", strconv.FormatFloat(*res, 'g', -1, 64))
						}
						if *weighted {
							o.Set("weighted", "true")
						}
						return nil
					}
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsCommunities(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					fmt.Fprintf(c.e.stdout, "modularity %.3f\n", r.Modularity)
					table(c.e.stdout, "ID\tSIZE\tTARGETS\tMEMBERS", func(w io.Writer) {
						for _, x := range r.Communities {
							fmt.Fprintf(w, "%d\t%d\t%s\t%s\n", x.ID, x.Size, strings.Join(x.Targets, ","), strings.Join(x.Members, ","))
						}
					})
					return nil
				}),
			leaf("centrality", "PageRank, degree and betweenness of the granted graph", " [--top N] [--samples N]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					top := fs.Int("top", 0, "how many parties (default 100)")
					samples := fs.Int("samples", 0, "betweenness sample sources (default exact)")
					return func(args []string, o url.Values) error {
						if len(args) > 0 {
							return usageErr("unexpected arguments %q", args)
						}
						if *top > 0 {
							o.Set("top", strconv.Itoa(*top))
						}
						if *samples > 0 {
							o.Set("samples", strconv.Itoa(*samples))
						}
						return nil
					}
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsCentrality(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					table(c.e.stdout, "PARTY\tTARGET\tHUB\tDEGREE\tPAGERANK\tBETWEENNESS", func(w io.Writer) {
						for _, x := range r.Parties {
							fmt.Fprintf(w, "%s\t%v\t%v\t%d\t%.4f\t%.1f\n", x.Party, x.Target, x.Hub, x.Degree, x.PageRank, x.Betweenness)
						}
					})
					return nil
				}),
			leaf("activity", "contacts by weekday and UTC hour", " [--party P ...]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					return multiFlag(fs, "party", "party", "party (repeatable; default the targets)")
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsActivity(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					days := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
					for _, p := range r.Parties {
						fmt.Fprintf(c.e.stdout, "%s: %d contacts\n", p.Party, p.Total)
						hdr := "DAY"
						for h := range 24 {
							hdr += fmt.Sprintf("\t%02d", h)
						}
						table(c.e.stdout, hdr, func(w io.Writer) {
							for d, row := range p.Counts {
								fmt.Fprint(w, days[d])
								for _, n := range row {
									fmt.Fprintf(w, "\t%d", n)
								}
								fmt.Fprintln(w)
							}
						})
					}
					return nil
				}),
			leaf("switches", "burner-switch candidates among the targets", " [--location-authority ID]",
				func(fs *flag.FlagSet) func([]string, url.Values) error {
					la := fs.Int64("location-authority", 0, "also weigh where the numbers' handsets were, read under this location authority")
					return func(args []string, o url.Values) error {
						if len(args) > 0 {
							return usageErr("unexpected arguments %q", args)
						}
						if *la > 0 {
							o.Set("location_authority", strconv.FormatInt(*la, 10))
						}
						return nil
					}
				},
				func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
					r, err := c.CommsSwitches(ctx, id, q, o)
					if err != nil || c.json {
						return orJSON(c.e, r, err)
					}
					commsLine(c, r.Grant, r.Contacts)
					if l := r.Locations; l != nil {
						fmt.Fprintf(c.e.stdout, "handsets: %d in the contacts, %d named by authority %d and read, %d pings\n",
							l.Handsets, l.Read, l.AuthorityID, l.Pings)
					}
					table(c.e.stdout, "OLD\tNEW\tSCORE\tSHARED", func(w io.Writer) {
						for _, x := range r.Switches {
							fmt.Fprintf(w, "%s\t%s\t%.2f\t%d\n", x.Old, x.New, x.Score, x.Shared)
						}
					})
					return nil
				}),
			commsExportCmd(),
		}}
}

func commsExportCmd() *command {
	var format, out *string
	return leafComms("export", "export the granted graph as GraphML, GEXF or CSV", " --format graphml|gexf|csv [--communities] [-o FILE]",
		func(fs *flag.FlagSet) func([]string, url.Values) error {
			format = fs.String("format", "graphml", "graphml, gexf or csv")
			out = fs.String("o", "", "output file (default standard output)")
			comm := fs.Bool("communities", false, "add each node's community (graphml, gexf)")
			return func(args []string, o url.Values) error {
				if len(args) > 0 {
					return usageErr("unexpected arguments %q", args)
				}
				if *comm {
					o.Set("communities", "true")
				}
				return nil
			}
		},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, o url.Values) error {
			var buf bytes.Buffer
			if err := c.CommsExport(ctx, id, q, *format, o, &buf); err != nil {
				return err
			}
			if *out == "" {
				_, err := c.e.stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
				return err
			}
			if *out != "" {
				fmt.Fprintf(c.e.stderr, "wrote %s\n", *out)
			}
			return nil
		})
}

func commsLine(c *clientCtx, g api.GrantInfo, n int) {
	fmt.Fprintf(c.e.stderr, "granted under authority %d (%s), %s–%s: %d contacts analysed; non-targets pseudonymised\n",
		g.AuthorityID, g.AuthorityKind, fmtTime(g.From), fmtTime(g.To), n)
}
