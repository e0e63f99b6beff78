package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
)

func ingestCmd() *command {
	return &command{name: "ingest", summary: "load files through a mapping, quarantining bad rows",
		usage: "--mapping FILE (--authority ID | --agreement ID) [--strict] [--batch N] [--data DIR] [--db URL] FILE...",
		help: `Reads CSV, TSV, JSON (an array of objects) or NDJSON files, gzipped or not, and
stores their rows as records, contacts, pings or plate reads, as the mapping says
(see docs/ingest.md). Every row keeps its provenance: dataset, file, line, the
SHA-256 of the row, its batch and the legal basis given here, which must be an
approved authority covering the data or a data-sharing agreement in force for
the dataset.

Rows that cannot be stored are quarantined with the reason; list them with
'writ ingest quarantine'. Files are committed in batches of --batch rows; a batch
is committed once, so running the same file again (under any name) adds nothing,
and a run that was killed goes on where it stopped. Each run is audited.

Commands:
  quarantine   list quarantined rows`,
		subs: []*command{ingestQuarantineCmd()},
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			mappingPath := fs.String("mapping", "", "mapping file (JSON; required)")
			authority := fs.Int64("authority", 0, "id of the approved authority the data is obtained under")
			agreement := fs.Int64("agreement", 0, "id of the data-sharing agreement the data is held under")
			strict := fs.Bool("strict", false, "fail on the first bad row instead of quarantining it (its batch is not committed)")
			batch := fs.Int("batch", 0, fmt.Sprintf("rows per batch (default %d, %d for pings; a re-run takes the size the file was first ingested with)",
				ingest.DefaultBatchSize, ingest.DefaultPingBatchSize))
			asJSON := fs.Bool("json", false, "print the summaries as JSON")
			return func(ctx context.Context, files []string) error {
				switch {
				case *mappingPath == "":
					return usageErr("--mapping is required")
				case (*authority > 0) == (*agreement > 0):
					return usageErr("give the legal basis: either --authority ID or --agreement ID")
				case *batch < 0 || (*batch == 0 && flagSet(fs, "batch")):
					return usageErr("--batch %d: want a positive number of rows", *batch)
				case len(files) == 0:
					return usageErr("give at least one file")
				}
				for _, f := range files {
					if fi, err := os.Stat(f); err != nil {
						return err
					} else if !fi.Mode().IsRegular() {
						return fmt.Errorf("%s is not a regular file", f)
					}
				}
				m, err := ingest.LoadMapping(*mappingPath)
				if err != nil {
					return err
				}
				basis := ingest.Basis{Kind: "authority", ID: *authority}
				if *agreement > 0 {
					basis = ingest.Basis{Kind: "agreement", ID: *agreement}
				}
				sys, err := l.open(ctx)
				if err != nil {
					return err
				}
				defer sys.Close()
				r := &ingestRun{e: e, sys: sys, m: m, basis: basis, json: *asJSON,
					opt: ingest.Options{Basis: basis, BatchSize: *batch, Strict: *strict}}
				return r.run(ctx, files)
			}
		}}
}

// ingestRun is one 'writ ingest' invocation over its files.
type ingestRun struct {
	e     *env
	sys   *system
	m     *ingest.Mapping
	basis ingest.Basis
	opt   ingest.Options
	json  bool
}

func (r *ingestRun) run(ctx context.Context, files []string) error {
	if err := ingest.CheckBasis(ctx, r.sys.store, r.basis, r.m, writ.Now()); err != nil {
		if aerr := r.audit(ctx, writ.DecisionDenied, errorText(err), "", nil); aerr != nil {
			return errors.Join(err, aerr)
		}
		return err
	}
	if f, ok := r.e.stderr.(*os.File); ok {
		tty := term.IsTerminal(int(f.Fd()))
		r.opt.Progress = ingest.ProgressPrinter(r.e.stderr, tty, 10*time.Second)
	}
	target, stop, err := matchedStore(ctx, r.e, r.sys) // lookouts see every committed batch
	if err != nil {
		return err
	}
	defer stop()
	var sums []*ingest.Summary
	var errs []error
	for _, path := range files {
		s, err := ingest.File(ctx, target, r.m, path, r.opt)
		detail := summaryText(s)
		if err != nil {
			detail += "; stopped: " + errorText(err)
			errs = append(errs, err)
		}
		if aerr := r.audit(ctx, writ.DecisionDone, detail, path, s); aerr != nil {
			return errors.Join(append(errs, fmt.Errorf("audit the ingest of %s: %w", path, aerr))...)
		}
		sums = append(sums, s)
		if !r.json {
			fmt.Fprintf(r.e.stdout, "%s: %s\n", path, detail)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if r.json {
		if err := printJSON(r.e, sums); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// audit records the run (or its refusal) in the audit log: dataset, file,
// source key, legal basis and counts. The local operator is the actor.
func (r *ingestRun) audit(ctx context.Context, decision, detail, path string, s *ingest.Summary) error {
	e := &writ.AuditEntry{Actor: "local:" + envOr(r.e, "USER", "operator"), Action: "ingest", Decision: decision,
		Purpose: fmt.Sprintf("ingest %s %s under %s %d", r.m.Kind, r.m.Dataset, r.basis.Kind, r.basis.ID), Results: -1}
	if r.basis.Kind == "authority" {
		e.AuthorityID = r.basis.ID
	}
	if decision == writ.DecisionDenied {
		e.Rule, e.Reason = "ingest_basis", detail
	} else {
		e.Reason = fmt.Sprintf("file %s (%s): %s", path, s.SourceKey, detail)
		e.Results = s.Stored
	}
	_, err := r.sys.log.Record(ctx, e)
	return err
}

// errorText is an error as the operator and the audit log see it.
func errorText(err error) string {
	if writ.ErrorKind(err) == writ.EInternal {
		return err.Error()
	}
	return describe(err)
}

// summaryText is the one-line account of a file's run.
func summaryText(s *ingest.Summary) string {
	reasons := make([]string, 0, len(s.ByReason))
	for k, v := range s.ByReason {
		reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(reasons)
	q := ""
	if len(reasons) > 0 {
		q = " (" + strings.Join(reasons, ", ") + ")"
	}
	return fmt.Sprintf("dataset %s (%s): %d rows read, %d stored, %d duplicates skipped, %d quarantined%s; %d batches committed, %d already committed; %s, %.0f rows/s",
		s.Dataset, s.Kind, s.Read, s.Stored, s.Duplicates, s.Quarantined, q, s.Batches, s.Skipped,
		s.Elapsed.Round(time.Millisecond), s.RowsPerSecond())
}

func ingestQuarantineCmd() *command {
	return &command{name: "quarantine", summary: "list quarantined rows with file, line, field and reason",
		usage: "[--data DIR] [--db URL] [--batch ID] [--dataset NAME] [--after ID] [--limit N] [--json]",
		help: `The raw row is shown as read (escaped, cut to 60 bytes; --json gives it whole, up to
the 4 KiB kept). Listing quarantined rows shows data, so it is audited.`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			batch := fs.Int64("batch", 0, "only rows of this batch id")
			dataset := fs.String("dataset", "", "only rows of this dataset")
			after := fs.Int64("after", 0, "list rows after this quarantine id (paging)")
			limit := fs.Int("limit", 100, "how many rows")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("unexpected arguments %q", args)
				}
				sys, err := l.open(ctx)
				if err != nil {
					return err
				}
				defer sys.Close()
				rows, err := sys.store.Quarantined(ctx, writ.QuarantineFilter{BatchID: *batch, Dataset: *dataset, AfterID: *after, Limit: *limit})
				if err != nil {
					return err
				}
				if _, err := sys.log.Record(ctx, &writ.AuditEntry{Actor: "local:" + envOr(e, "USER", "operator"), Action: "ingest.quarantine",
					Decision: writ.DecisionDone, Reason: fmt.Sprintf("batch %d dataset %q after %d", *batch, *dataset, *after),
					Results: int64(len(rows))}); err != nil {
					return err
				}
				if *asJSON {
					return printJSON(e, rows)
				}
				printQuarantine(e.stdout, rows)
				return nil
			}
		}}
}

func printQuarantine(w io.Writer, rows []writ.QuarantinedRow) {
	table(w, "ID\tBATCH\tSOURCE\tLINE\tFIELD\tREASON\tDETAIL\tRAW", func(tw io.Writer) {
		for _, q := range rows {
			field := q.Field
			if field == "" {
				field = "-"
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", q.ID, q.BatchID, q.Source, q.Offset, field, q.Reason,
				oneLine(q.Detail), rawText(q.Raw, q.RawSize))
		}
	})
}

// rawText shows raw bytes safely on a terminal: quoted, cut to 60 bytes.
func rawText(raw []byte, size int64) string {
	s := raw
	if len(s) > 60 {
		s = s[:60]
	}
	out := strconv.Quote(string(s))
	if size > int64(len(s)) {
		out += fmt.Sprintf("… (%d bytes)", size)
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
