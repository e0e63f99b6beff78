package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/lookout"
)

func lookoutCmd() *command {
	status := func(verb, summary string) *command {
		return clientLeaf(verb, summary, "ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			return func(ctx context.Context, c *clientCtx, args []string) error {
				id, err := oneID("lookout", args)
				if err != nil {
					return err
				}
				l, err := c.SetLookoutStatus(ctx, id, verb)
				if err != nil || c.json {
					return orJSON(c.e, l, err)
				}
				fmt.Fprintf(c.e.stdout, "lookout %d is %s\n", l.ID, l.Status)
				return nil
			}
		})
	}
	return &command{name: "lookout", summary: "standing queries that alert when new data matches",
		help: `A lookout watches new data for a case, under one of its authorities: a phone or
device appearing (appears), a device or plate entering an area (area), a hotlisted
plate read by any camera (hotlist), a record matching attribute conditions
(attribute), or a new address, vehicle or phone of a subject (subject_change).
It stops when its authority expires or is revoked. Alerts: writ alerts [--follow].`,
		subs: []*command{
			clientLeaf("create", "create a lookout on a case",
				"--case ID --authority ID --kind KIND --name TEXT --purpose TEXT [--selector kind:value ...] [--area 'lat,lon;...' | --circle lat,lon,metres] [--entity E --where field=value ... --watch field ...] [--email ADDR ...] [--webhook URL] [--rate N] [--retro 720h]",
				func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
					caseID := fs.Int64("case", 0, "case id")
					authID := fs.Int64("authority", 0, "authority the lookout runs under")
					kind := fs.String("kind", "", "appears, area, hotlist, attribute or subject_change")
					name := fs.String("name", "", "a name for the lookout")
					purpose := fs.String("purpose", "", "why (recorded with every alert)")
					category := fs.String("category", "", "data category, when the kind allows two (appears: comms or location; area: location or plates)")
					area := fs.String("area", "", "area as 'lat,lon;lat,lon;lat,lon'")
					circle := fs.String("circle", "", "circle as 'lat,lon,radius_m'")
					entity := fs.String("entity", "", "entity kind for records lookouts (Person, Vehicle, ...)")
					dataset := fs.String("dataset", "", "only records of this dataset")
					webhook := fs.String("webhook", "", "webhook URL (signed with HMAC-SHA256)")
					rate := fs.Int("rate", 0, "alerts delivered per hour at most (default 120)")
					retro := fs.String("retro", "", "retroactive check over this much of the past, e.g. 720h")
					var sels, where, watch, email multi
					fs.Var(&sels, "selector", "selector kind:value (repeatable)")
					fs.Var(&where, "where", "records condition field=value (repeatable)")
					fs.Var(&watch, "watch", "subject_change: field whose new values alert (repeatable)")
					fs.Var(&email, "email", "e-mail address for alerts (repeatable)")
					return func(ctx context.Context, c *clientCtx, args []string) error {
						if *caseID == 0 || *authID == 0 || *kind == "" || *name == "" || *purpose == "" {
							return usageErr("--case, --authority, --kind, --name and --purpose are required")
						}
						req := api.NewLookout{AuthorityID: *authID, Kind: writ.LookoutKind(*kind), Name: *name, Purpose: *purpose,
							Category: writ.Category(*category), Selectors: sels, Entity: writ.Entity(*entity), Dataset: *dataset,
							Watch: watch, Email: email, WebhookURL: *webhook, RatePerHour: *rate, Retro: *retro}
						var err error
						if req.Area, err = parseArea(*area); err != nil {
							return err
						}
						if *circle != "" {
							if req.Circle, err = parseCircle(*circle); err != nil {
								return err
							}
						}
						for _, w := range where {
							f, v, ok := strings.Cut(w, "=")
							if !ok {
								return usageErr("--where %q: want field=value", w)
							}
							req.Conditions = append(req.Conditions, writ.Condition{Field: f, Value: v})
						}
						l, err := c.CreateLookout(ctx, *caseID, req)
						if err != nil || c.json {
							return orJSON(c.e, l, err)
						}
						fmt.Fprintf(c.e.stdout, "lookout %d (%s) active under authority %d\n", l.ID, l.Kind, l.AuthorityID)
						if l.WebhookSecret != "" {
							fmt.Fprintf(c.e.stdout, "webhook secret (shown once; verify the %s header with it): %s\n", "Writ-Signature", l.WebhookSecret)
						}
						return nil
					}
				}),
			clientLeaf("list", "list a case's lookouts", "[--status active|paused|ended] CASE", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				st := fs.String("status", "", "only lookouts with this status")
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("case", args)
					if err != nil {
						return err
					}
					ls, err := c.Lookouts(ctx, id, writ.LookoutStatus(*st))
					if err != nil || c.json {
						return orJSON(c.e, ls, err)
					}
					table(c.e.stdout, "ID\tKIND\tSTATUS\tAUTHORITY\tNAME\tSELECTORS", func(w io.Writer) {
						for _, l := range ls {
							fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%d\n", l.ID, l.Kind, l.Status, l.AuthorityID, l.Name, len(l.Selectors))
						}
					})
					return nil
				}
			}),
			clientLeaf("show", "show one lookout in full (JSON)", "ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("lookout", args)
					if err != nil {
						return err
					}
					l, err := c.Lookout(ctx, id)
					return orJSON(c.e, l, err)
				}
			}),
			status("pause", "pause a lookout"),
			status("resume", "resume a paused lookout"),
			status("end", "end a lookout for good"),
			clientLeaf("dead-letters", "list webhook deliveries that failed every retry", "", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					ds, err := c.DeadLetters(ctx)
					if err != nil || c.json {
						return orJSON(c.e, ds, err)
					}
					table(c.e.stdout, "ID\tALERT\tLOOKOUT\tATTEMPTS\tURL\tLAST ERROR", func(w io.Writer) {
						for _, d := range ds {
							fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%s\t%s\n", d.ID, d.AlertID, d.LookoutID, d.Attempts, d.URL, d.LastError)
						}
					})
					return nil
				}
			}),
			clientLeaf("retry", "retry a dead-lettered webhook delivery", "ID", func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
				return func(ctx context.Context, c *clientCtx, args []string) error {
					id, err := oneID("dead letter", args)
					if err != nil {
						return err
					}
					if err := c.RetryDeadLetter(ctx, id); err != nil {
						return err
					}
					fmt.Fprintf(c.e.stdout, "dead letter %d delivered\n", id)
					return nil
				}
			}),
		}}
}

func alertsCmd() *command {
	return clientLeaf("alerts", "read lookout alerts of your cases (--follow: as they fire)", "[--case ID] [--lookout ID] [--after ID] [--follow]",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			caseID := fs.Int64("case", 0, "only this case")
			lookoutID := fs.Int64("lookout", 0, "only this lookout")
			after := fs.Int64("after", 0, "only alerts after this id")
			follow := fs.Bool("follow", false, "keep the connection open and print alerts as they fire")
			return func(ctx context.Context, c *clientCtx, args []string) error {
				q := api.AlertQuery{CaseID: *caseID, LookoutID: *lookoutID, AfterID: *after}
				print := func(a *writ.Alert) error {
					if c.json {
						return orJSON(c.e, a, nil)
					}
					flags := ""
					if a.Retro {
						flags += " [retro]"
					}
					if a.Suppressed {
						flags += " [over rate limit]"
					}
					_, err := fmt.Fprintf(c.e.stdout, "%d\t%s\tcase %d\tlookout %d\t%s%s\n", a.ID, fmtTime(a.EventAt), a.CaseID, a.LookoutID, a.Summary, flags)
					return err
				}
				if *follow {
					return c.FollowAlerts(ctx, q, print)
				}
				as, err := c.Alerts(ctx, q)
				if err != nil || c.json {
					return orJSON(c.e, as, err)
				}
				for _, a := range as {
					if err := print(a); err != nil {
						return err
					}
				}
				return nil
			}
		})
}

// parseCircle parses "lat,lon,radius_m".
func parseCircle(s string) (*writ.Circle, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return nil, usageErr("--circle %q: want lat,lon,radius_m", s)
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usageErr("--circle %q: %s is not a number", s, p)
		}
		v[i] = f
	}
	return &writ.Circle{Center: writ.Point{Lat: v[0], Lon: v[1]}, RadiusM: v[2]}, nil
}

// lookoutService starts the lookout service of a serving process: it
// indexes the stored lookouts, and delivers alerts in app, by e-mail when
// $WRIT_SMTP_ADDR (host:port) and $WRIT_SMTP_FROM are set, and by webhook
// (to public addresses only, unless $WRIT_WEBHOOK_ALLOW_PRIVATE=1).
// With watch, it also polls for alerts other processes fire (a local
// ingest or feed) and shows them to in-app subscribers, until ctx ends.
func lookoutService(ctx context.Context, e *env, sys *system, logger *slog.Logger, watch bool) (*lookout.Service, error) {
	cfg := lookout.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log, Logger: logger,
		// Tokens of area lookouts hold across restarts: keyed by the audit
		// log's secret (authority -1 is never a real authority).
		Secret: sys.log.PseudonymKey(-1)}
	// Webhooks go to public addresses only, unless the operator says so.
	cfg.Webhook.AllowPrivate = e.getenv("WRIT_WEBHOOK_ALLOW_PRIVATE") == "1"
	if addr := e.getenv("WRIT_SMTP_ADDR"); addr != "" {
		cfg.Mail = &lookout.Mailer{Addr: addr, From: envOr(e, "WRIT_SMTP_FROM", "writ@localhost")}
	}
	svc := lookout.New(cfg)
	if err := svc.Reload(ctx); err != nil {
		svc.Close()
		return nil, fmt.Errorf("load lookouts: %w", err)
	}
	if watch {
		go svc.Watch(ctx, time.Second)
	}
	return svc, nil
}

// matchedStore returns the store a local ingest or feed commits through:
// the data directory's store with every committed batch matched against
// the stored lookouts. Alerts fire from this process (stored, audited,
// mailed and sent to webhooks); a server's in-app subscribers get them
// from its poll of the alerts table.
func matchedStore(ctx context.Context, e *env, sys *system) (ingest.Store, func(), error) {
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := lookoutService(ctx, e, sys, logger, false)
	if err != nil {
		return nil, nil, err
	}
	return svc.Wrap(sys.store), svc.Close, nil
}
