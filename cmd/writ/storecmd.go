package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/writhq/writ/sqlite"
)

func storeCmd() *command {
	return &command{name: "store", summary: "maintain the database (pings' layout)",
		help: `These commands work on the data directory directly and read no case data.`,
		subs: []*command{storeSettleCmd(), storeRepageCmd()}}
}

func storeRepageCmd() *command {
	return &command{name: "repage", summary: "rewrite the SQLite database with today's page size (stop the server first)",
		usage: "[--data DIR]",
		help: fmt.Sprintf(`New databases get %d KB pages; those made before 2026-11-22 have 4 KB pages,
in which ping blocks spill onto overflow pages and feeds' indexes cost more per
event (docs/pingblock.md, "Page size"). This rewrites the database (VACUUM) with
the new page size. Nothing else may have it open; it needs free disk for a second
copy while it runs. A database that has the page size already is left alone.`, sqlite.PageSize/1024),
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("writ store repage takes no arguments")
				}
				if l.db != "" {
					return usageErr("writ store repage works on the SQLite database of a data directory, not on --db")
				}
				path := l.sqlitePath()
				start := time.Now()
				before, err := sqlite.Repage(ctx, path)
				if err != nil {
					return err
				}
				if before == sqlite.PageSize {
					fmt.Fprintf(e.stdout, "%s has %d-byte pages already: nothing to do\n", path, before)
					return nil
				}
				fmt.Fprintf(e.stdout, "%s: pages of %d bytes rewritten as %d, in %s\n", path, before, sqlite.PageSize,
					time.Since(start).Round(time.Millisecond))
				return nil
			}
		}}
}

func storeSettleCmd() *command {
	return localLeaf("settle", "merge the area blocks of pings in a period (after a crash)", "[--from TIME] [--to TIME]",
		`Ingest settles the hours it has passed by itself: it merges each (hour, cell) key's
blocks into a few, so that area searches read one or two blocks a cell (docs/pingblock.md).
It remembers those hours in memory, so hours a crashed or killed ingest left
unsettled read correctly but slower. This settles every hour of the period.

It also fills in the extent (span and box) of the area blocks of a store upgraded
from schema v10, which reads near a track (co-location) use to skip blocks
without fetching them; until then they fetch those blocks and read them correctly.`,
		func(fs *flag.FlagSet) func(context.Context, *env, *system, []string) error {
			from := fs.String("from", "1970-01-01", "start of the period (RFC 3339 or YYYY-MM-DD)")
			to := fs.String("to", "", "end of the period, excluded (default: a day from now)")
			return func(ctx context.Context, e *env, sys *system, args []string) error {
				if len(args) > 0 {
					return usageErr("writ store settle takes no arguments")
				}
				f, err := parseTime("from", *from)
				if err != nil {
					return err
				}
				t := time.Now().Add(24 * time.Hour)
				if *to != "" {
					if t, err = parseTime("to", *to); err != nil {
						return err
					}
				}
				if !f.Before(t) {
					return usageErr("--from %s is not before --to %s", *from, *to)
				}
				start := time.Now()
				st, err := sys.store.CompactPingCells(ctx, f, t)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "settled %d (hour, cell) keys: %d blocks merged into %d, %d pings, in %s\n",
					st.Keys, st.Before, st.After, st.Pings, time.Since(start).Round(time.Millisecond))
				start = time.Now()
				n, err := sys.store.FillExtents(ctx)
				if err != nil {
					return err
				}
				if n > 0 {
					fmt.Fprintf(e.stdout, "filled in the extent of %d area blocks (upgraded from schema v10), in %s\n",
						n, time.Since(start).Round(time.Millisecond))
				}
				return nil
			}
		})
}
