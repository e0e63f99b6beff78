package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/feed"
	"github.com/writhq/writ/ingest"
)

func feedCmd() *command {
	return &command{name: "feed", summary: "consume a live feed (NATS JetStream) through a mapping",
		usage: "--mapping FILE (--authority ID | --agreement ID) --stream NAME [--subject S] [--url URL] [--durable NAME] [--once] [--data DIR] [--db URL]",
		help: `Consumes a NATS JetStream stream, one JSON object per message, mapped by an ndjson
mapping (docs/ingest.md). Each fetched batch is stored with the stream's high-water
mark in one transaction and only then acknowledged, so redelivered messages are
never stored twice. Malformed messages are quarantined with their stream sequence.
Every committed batch is written to the audit log. Runs until Ctrl-C (or, with
--once, until the stream is caught up).`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			mappingPath := fs.String("mapping", "", "mapping file (format ndjson)")
			authority := fs.Int64("authority", 0, "id of the approved authority the data is obtained under")
			agreement := fs.Int64("agreement", 0, "id of the data-sharing agreement the data is held under")
			var cfg feed.NATS
			fs.StringVar(&cfg.URL, "url", envOr(e, "WRIT_NATS", "nats://127.0.0.1:4222"), "NATS server ($WRIT_NATS)")
			fs.StringVar(&cfg.Stream, "stream", "", "JetStream stream to consume")
			fs.StringVar(&cfg.Subject, "subject", "", "subject filter within the stream (default: all)")
			fs.StringVar(&cfg.Durable, "durable", "writ", "durable consumer name")
			fs.IntVar(&cfg.Batch, "batch", 1000, "messages per batch")
			fs.BoolVar(&cfg.StopWhenIdle, "once", false, "stop when the stream is caught up")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("feed takes no arguments")
				}
				if *mappingPath == "" || (*authority == 0) == (*agreement == 0) {
					return usageErr("give --mapping and one of --authority or --agreement")
				}
				if err := feed.CheckName("stream", cfg.Stream); err != nil {
					return err
				}
				if err := feed.CheckName("durable consumer", cfg.Durable); err != nil {
					return err
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
				r := &ingestRun{e: e, sys: sys, m: m, basis: basis}
				if err := ingest.CheckBasis(ctx, sys.store, basis, m, writ.Now()); err != nil {
					if aerr := r.audit(ctx, writ.DecisionDenied, errorText(err), "", nil); aerr != nil {
						return aerr
					}
					return err
				}
				fmt.Fprintf(e.stdout, "consuming %s from %s into dataset %s (%s)\n", cfg.Name(), cfg.URL, m.Dataset, m.Kind)
				var total, stored, quarantined int64
				start := time.Now()
				target, stop, err := matchedStore(ctx, e, sys) // lookouts see every committed batch
				if err != nil {
					return err
				}
				defer stop()
				err = feed.Run(ctx, cfg, target, m, basis, func(c feed.Committed) {
					total += int64(c.Messages)
					stored += int64(c.Stored)
					quarantined += int64(c.Quarantined)
					detail := fmt.Sprintf("stream %s sequences %d-%d: %d messages, %d stored, %d skipped as already stored, %d quarantined",
						cfg.Name(), c.FirstSeq, c.LastSeq, c.Messages, c.Stored, c.Skipped, c.Quarantined)
					fmt.Fprintln(e.stdout, detail)
					s := &ingest.Summary{SourceKey: "stream:" + cfg.Name(), Stored: int64(c.Stored)}
					if aerr := r.audit(context.WithoutCancel(ctx), writ.DecisionDone, detail, cfg.Name(), s); aerr != nil {
						fmt.Fprintln(e.stderr, "writ: audit:", aerr)
					}
				})
				fmt.Fprintf(e.stdout, "%d messages in %s: %d stored, %d quarantined\n", total, time.Since(start).Round(time.Millisecond), stored, quarantined)
				if ctx.Err() != nil {
					return nil // Ctrl-C is the normal way to stop
				}
				return err
			}
		}}
}
