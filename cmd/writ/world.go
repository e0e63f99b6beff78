package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/writhq/writ/world"
)

func worldCmd() *command {
	return &command{name: "world", summary: "generate a synthetic world with ground truth",
		help: `A deterministic synthetic population of the Brussels region: record sources with
realistic errors, device pings, call metadata and plate reads, a planted
counterfeit-document ring, and the ground truth behind all of it. See docs/world.md.`,
		subs: []*command{worldGenerateCmd()}}
}

func worldGenerateCmd() *command {
	return &command{name: "generate", summary: "write a world's sources, events, truth and mappings to a directory",
		usage: "--out DIR [--seed N] [--persons N] [--days N] [--start YYYY-MM-DD] [--gzip] [--density F] [--quiet]",
		help: `The same seed and sizes always give byte-identical files. Memory grows with
--persons, not with --days: events are streamed. Every source and event file
has a mapping in DIR/mappings/ for 'writ ingest'.`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			out := fs.String("out", "", "output directory (required)")
			seed := fs.Uint64("seed", 1, "random seed")
			persons := fs.Int("persons", 1000, "number of persons")
			days := fs.Int("days", 7, "days of events")
			start := fs.String("start", world.DefaultStart.Format(time.DateOnly), "first day (UTC date)")
			gz := fs.Bool("gzip", false, "gzip the event files")
			density := fs.Float64("density", 1, "ping density: 1 is a fix every 1, 5 or 15 minutes when still")
			quiet := fs.Bool("quiet", false, "no progress lines")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("world generate takes no arguments")
				}
				if *out == "" {
					return usageErr("--out is required")
				}
				st, err := time.Parse(time.DateOnly, *start)
				if err != nil {
					return usageErr("--start: want YYYY-MM-DD, got %q", *start)
				}
				cfg := world.Config{Seed: *seed, Persons: *persons, Days: *days, Start: st, Out: *out, Gzip: *gz, Density: *density}
				if !*quiet {
					cfg.Progress = progressPrinter(e.stderr)
				}
				sum, err := world.Generate(ctx, cfg)
				if err != nil {
					return err
				}
				printWorldSummary(e.stdout, *out, sum)
				return nil
			}
		}}
}

// progressPrinter prints a line at most every two seconds.
func progressPrinter(w io.Writer) func(world.Progress) {
	var last time.Duration
	return func(p world.Progress) {
		if p.Elapsed-last < 2*time.Second {
			return
		}
		last = p.Elapsed
		fmt.Fprintf(w, "day %d/%d, %d persons: %d pings, %d contacts, %d plate reads, %.1fs, %.0f pings/s\n",
			p.Day+1, p.Days, p.Persons, p.Pings, p.Contacts, p.PlateReads, p.Elapsed.Seconds(), float64(p.Pings)/p.Elapsed.Seconds())
	}
}

func printWorldSummary(w io.Writer, dir string, s *world.Summary) {
	fmt.Fprintf(w, "world in %s: %d persons, %d households, %d places, %d phones, %d devices, %d vehicles, %d cameras\n",
		dir, s.Persons, s.Households, s.Places, s.Phones, s.Devices, s.Vehicles, s.Cameras)
	var total int64
	for _, f := range s.Files {
		if f.Kind == "mapping" {
			continue
		}
		fmt.Fprintf(w, "  %-34s %-8s %12d rows %14d bytes\n", f.Path, f.Kind, f.Rows, f.Bytes)
		total += f.Bytes
	}
	fmt.Fprintf(w, "  mappings/*.json for every source and event file\n")
	fmt.Fprintf(w, "%d pings, %d contacts, %d plate reads; %d bytes in %.2fs: %.0f pings/s\n",
		s.Pings, s.Contacts, s.PlateReads, total, s.Elapsed.Seconds(), s.PingRate())
}
