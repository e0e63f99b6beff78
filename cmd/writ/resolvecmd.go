package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
	"github.com/writhq/writ/resolve"
)

func resolveCmd() *command {
	return &command{name: "resolve", summary: "link records about the same person, explain and decide (see docs/resolve.md)",
		help: `Entity resolution links records that are about the same person; it never
changes or merges them. 'run' is an operator's action on the data directory and
prints counts only. The other commands are client commands: each runs under a
records authority of a case, is audited, and sees only records linked to the
subjects the authority names.

Commands:
  run       resolve datasets (local, audited)
  entity    show the entity that holds a record
  explain   show why two records were scored as they were
  decide    confirm, reject or split records (kept across runs)
  link      request a link of the entity holding a record to a case subject
  approve-link  approve a requested link (a supervisor who did not request it)
  reject-link   reject a requested link or revoke an approved one (supervisors)

A link reaches nothing until a second person approves it.`,
		subs: []*command{resolveRunCmd(), resolveEntityCmd(), resolveExplainCmd(), resolveDecideCmd(), resolveLinkCmd(),
			resolveApproveLinkCmd(), resolveRejectLinkCmd()}}
}

func resolveRunCmd() *command {
	return &command{name: "run", summary: "resolve datasets on the data directory (audited; prints counts only)",
		usage: "--spec FILE [--data DIR] [--db URL] [--json]",
		help: `The spec file is a JSON writ.ResolutionSpec: datasets, entity, fields and the
resolver's comparisons and blocks. Every decision in the ledger constrains the run.`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			specPath := fs.String("spec", "", "resolution spec (JSON; required)")
			asJSON := fs.Bool("json", false, "print the run as JSON")
			return func(ctx context.Context, args []string) error {
				if *specPath == "" || len(args) > 0 {
					return usageErr("--spec is required, and nothing else")
				}
				b, err := os.ReadFile(*specPath)
				if err != nil {
					return err
				}
				var spec writ.ResolutionSpec
				if err := json.Unmarshal(b, &spec); err != nil {
					return fmt.Errorf("%s: %w", *specPath, err)
				}
				sys, err := l.open(ctx)
				if err != nil {
					return err
				}
				defer sys.Close()
				actor := "local:" + envOr(e, "USER", "operator")
				run, err := sys.store.RunResolution(ctx, spec, 0, actor)
				if err != nil {
					return err
				}
				entry := &writ.AuditEntry{Actor: actor, Action: "resolve.run", Decision: writ.DecisionDone,
					Reason: api.RunSummary(run), Results: -1}
				if _, err := sys.log.Record(ctx, entry); err != nil {
					return fmt.Errorf("audit the run: %w", err)
				}
				if *asJSON {
					return printJSON(e, run)
				}
				fmt.Fprintln(e.stdout, api.RunSummary(run))
				return nil
			}
		}}
}

// resolveFlags are the case, authority and purpose every client command needs.
type resolveFlags struct {
	caseID  *int64
	q       api.ResolveQuery
	auth    *int64
	purpose *string
}

func (r *resolveFlags) register(fs *flag.FlagSet) {
	r.caseID = fs.Int64("case", 0, "case id")
	r.auth = fs.Int64("authority", 0, "records authority the command runs under")
	r.purpose = fs.String("purpose", "", "why (recorded in the audit log)")
}

func (r *resolveFlags) check() error {
	if *r.caseID == 0 || *r.auth == 0 || *r.purpose == "" {
		return usageErr("--case, --authority and --purpose are required")
	}
	r.q = api.ResolveQuery{AuthorityID: *r.auth, Purpose: *r.purpose}
	return nil
}

func parseIDs(args []string, n int) ([]int64, error) {
	if len(args) != n {
		return nil, usageErr("want %d record ids, have %d", n, len(args))
	}
	out := make([]int64, n)
	for i, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, usageErr("%q is not a record id", a)
		}
		out[i] = id
	}
	return out, nil
}

const resolveUsage = "--case ID --authority ID --purpose TEXT"

func resolveEntityCmd() *command {
	return clientLeaf("entity", "show the entity holding a record, as the authority may see it", resolveUsage+" RECORD",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			var rf resolveFlags
			rf.register(fs)
			return func(ctx context.Context, c *clientCtx, args []string) error {
				if err := rf.check(); err != nil {
					return err
				}
				ids, err := parseIDs(args, 1)
				if err != nil {
					return err
				}
				p, err := c.Entity(ctx, *rf.caseID, ids[0], rf.q)
				if err != nil || c.json {
					return orJSON(c.e, p, err)
				}
				grantLine(c, p.Grant, len(p.Entity.Records), 0)
				printEntity(c.e.stdout, p.Entity)
				return nil
			}
		})
}

func printEntity(w io.Writer, e *writ.ResolvedEntity) {
	fmt.Fprintf(w, "entity %d (run %d): %d records\n", e.ID, e.RunID, len(e.Records))
	table(w, "RECORD\tDATASET\tSOURCE KEY\tFIELDS", func(tw io.Writer) {
		for _, r := range e.Records {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%v\n", r.ID, r.Prov.Dataset, r.RecordID, r.Fields)
		}
	})
	table(w, "A\tB\tP\tBITS", func(tw io.Writer) {
		for _, l := range e.Links {
			fmt.Fprintf(tw, "%d\t%d\t%.4f\t%+.2f\n", l.A, l.B, l.Probability, l.Log2Odds)
		}
	})
	for _, d := range e.Decisions {
		fmt.Fprintf(w, "decision %d: %s %v by user %d: %s\n", d.ID, d.Kind, d.Records(), d.DecidedBy, d.Reason)
	}
}

func resolveExplainCmd() *command {
	return clientLeaf("explain", "show the waterfall of two records' score", resolveUsage+" A B",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			var rf resolveFlags
			rf.register(fs)
			return func(ctx context.Context, c *clientCtx, args []string) error {
				if err := rf.check(); err != nil {
					return err
				}
				ids, err := parseIDs(args, 2)
				if err != nil {
					return err
				}
				p, err := c.ExplainPair(ctx, *rf.caseID, ids[0], ids[1], rf.q)
				if err != nil || c.json {
					return orJSON(c.e, p, err)
				}
				grantLine(c, p.Grant, 2, 0)
				var w resolve.Waterfall
				if err := json.Unmarshal(p.Explanation.Waterfall, &w); err != nil {
					return fmt.Errorf("waterfall: %w", err)
				}
				fmt.Fprintf(c.e.stdout, "run %d, same entity: %v\n%s", p.Explanation.RunID, p.Explanation.SameEntity, w)
				return nil
			}
		})
}

func resolveDecideCmd() *command {
	return clientLeaf("decide", "confirm or reject two records, or split records into groups",
		resolveUsage+" --reason TEXT (confirm A B | reject A B | split 1,2 3,4 ...)",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			var rf resolveFlags
			rf.register(fs)
			reason := fs.String("reason", "", "why (kept in the ledger)")
			return func(ctx context.Context, c *clientCtx, args []string) error {
				if err := rf.check(); err != nil {
					return err
				}
				req, err := parseDecision(args)
				if err != nil {
					return err
				}
				req.ResolveQuery, req.Reason = rf.q, *reason
				d, err := c.Decide(ctx, *rf.caseID, req)
				if err != nil || c.json {
					return orJSON(c.e, d, err)
				}
				fmt.Fprintf(c.e.stdout, "decision %d: %s %v\n", d.ID, d.Kind, d.Records())
				return nil
			}
		})
}

// parseDecision reads "confirm A B", "reject A B" or "split 1,2 3,4".
func parseDecision(args []string) (api.DecisionRequest, error) {
	var req api.DecisionRequest
	if len(args) == 0 {
		return req, usageErr("say confirm, reject or split")
	}
	req.Kind = writ.DecisionKind(args[0])
	switch req.Kind {
	case writ.DecideConfirm, writ.DecideReject:
		ids, err := parseIDs(args[1:], 2)
		if err != nil {
			return req, err
		}
		req.A, req.B = ids[0], ids[1]
	case writ.DecideSplit:
		if len(args) < 3 {
			return req, usageErr("split takes two or more groups, e.g. split 1,2 3")
		}
		for _, g := range args[1:] {
			ids, err := parseIDs(strings.Split(g, ","), len(strings.Split(g, ",")))
			if err != nil {
				return req, err
			}
			req.Groups = append(req.Groups, ids)
		}
	default:
		return req, usageErr("unknown decision %q (want confirm, reject or split)", args[0])
	}
	return req, nil
}

func resolveLinkCmd() *command {
	return clientLeaf("link", "request a link of the entity holding a record to a case subject (reaches nothing until approved)", resolveUsage+" --subject ID --reason TEXT RECORD",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			var rf resolveFlags
			rf.register(fs)
			subject := fs.Int64("subject", 0, "subject id (the authority must name it)")
			reason := fs.String("reason", "", "why (recorded with the link)")
			return func(ctx context.Context, c *clientCtx, args []string) error {
				if err := rf.check(); err != nil {
					return err
				}
				ids, err := parseIDs(args, 1)
				if err != nil {
					return err
				}
				if *subject == 0 || *reason == "" {
					return usageErr("--subject and --reason are required")
				}
				l, err := c.LinkEntity(ctx, *rf.caseID, *subject, api.LinkRequest{ResolveQuery: rf.q, Record: ids[0], Reason: *reason})
				if err != nil || c.json {
					return orJSON(c.e, l, err)
				}
				printLink(c, l)
				return nil
			}
		})
}

func printLink(c *clientCtx, l *writ.SubjectLink) {
	fmt.Fprintf(c.e.stdout, "link %d (%s): entity %d of run %d (%d records) to subject %d\n", l.ID, l.Status, l.Entity, l.RunID, len(l.Records), l.SubjectID)
}

// parseLinkID reads the one link id a link command takes.
func parseLinkID(args []string) (int64, error) {
	if len(args) != 1 {
		return 0, usageErr("want one link id, have %d", len(args))
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErr("%q is not a link id", args[0])
	}
	return id, nil
}

func resolveApproveLinkCmd() *command {
	return clientLeaf("approve-link", "approve a requested subject link (a supervisor who did not request it)", "--case ID LINK",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			caseID := fs.Int64("case", 0, "case id")
			return func(ctx context.Context, c *clientCtx, args []string) error {
				if *caseID == 0 {
					return usageErr("--case is required")
				}
				id, err := parseLinkID(args)
				if err != nil {
					return err
				}
				l, err := c.ApproveSubjectLink(ctx, *caseID, id)
				if err != nil || c.json {
					return orJSON(c.e, l, err)
				}
				printLink(c, l)
				return nil
			}
		})
}

func resolveRejectLinkCmd() *command {
	return clientLeaf("reject-link", "reject a requested subject link or revoke an approved one (supervisors)", "--case ID --reason TEXT LINK",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			caseID := fs.Int64("case", 0, "case id")
			reason := fs.String("reason", "", "why (recorded with the link and in the audit log)")
			return func(ctx context.Context, c *clientCtx, args []string) error {
				if *caseID == 0 || strings.TrimSpace(*reason) == "" {
					return usageErr("--case and --reason are required")
				}
				id, err := parseLinkID(args)
				if err != nil {
					return err
				}
				l, err := c.RejectSubjectLink(ctx, *caseID, id, *reason)
				if err != nil || c.json {
					return orJSON(c.e, l, err)
				}
				printLink(c, l)
				return nil
			}
		})
}
