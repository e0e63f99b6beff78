package main

import (
	"context"
	"flag"
	"fmt"
	"time"
)

func storeCmd() *command {
	return &command{name: "store", summary: "maintain the database (pings' layout)",
		help: `These commands work on the data directory directly and read no case data.`,
		subs: []*command{storeSettleCmd()}}
}

func storeSettleCmd() *command {
	return localLeaf("settle", "merge the area blocks of pings in a period (after a crash)", "[--from TIME] [--to TIME]",
		`Ingest settles the hours it has passed by itself: it merges each (hour, cell) key's
blocks into a few, so that area searches read one or two blocks a cell (docs/pingblock.md).
It remembers those hours in memory, so hours a crashed or killed ingest left
unsettled read correctly but slower. This settles every hour of the period.`,
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
				return nil
			}
		})
}
