// Package location benchmarks writ's location reads against what a user
// would build instead: PostgreSQL with PostGIS. Both load the same
// world-generated pings in the same run and answer the same queries with
// the same parameters:
//
//   - ingest: writ's real ingest path (mapping, quarantine, batches) into a
//     fresh store; PostGIS: COPY into a table, then a GiST index on the
//     geometry and b-tree indexes on time and (device, time);
//   - trajectory: one device, one UTC day;
//   - area search: a 1 km square × one hour, at places and hours drawn from
//     the data (so busy ones more often);
//   - co-location: the devices within 100 m and 10 min of one target over
//     30 days (or the world's period if shorter).
//
// writ is measured through its store interface (writ.EventStore.Pings),
// under grants minted by the scope gate over a real audit log, so the
// figures follow whatever layout the store uses. docs/location-bench.md
// has the command and the figures.
package location

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Config sizes and places one run.
type Config struct {
	Pings   int64  // pings wanted; the world is sized to about this many
	Days    int    // world period in days; default 30
	Seed    uint64 // world seed; default 1
	Queries int    // timed trajectory and area queries each; default 200
	Dir     string // working directory: the world (kept as a cache) and the stores

	// Stores are writ's stores to measure: "sqlite" (default) and "postgres".
	Stores []string
	// PostgresURL is the server for writ's postgres store (a fresh schema).
	PostgresURL string
	// PostGISURL is a PostgreSQL server with PostGIS installed; the run
	// makes its own database there and drops it at the end. Empty: no
	// PostGIS side.
	PostGISURL string
	// KeepStores leaves the stores and the PostGIS database in place.
	KeepStores bool
	// Reuse measures the queries on a SQLite store a run with KeepStores
	// left in Dir, without ingesting again (no ingest figures). It implies
	// KeepStores. For working on the queries; not for reported figures.
	Reuse bool
	// CoLocProfile, if set, is a file for a CPU profile of writ's
	// co-location runs alone.
	CoLocProfile string
	// Batch is writ's ingest batch size in rows; 0: ingest.DefaultPingBatchSize.
	Batch int
	// CoLocTargets is how many sampled devices writ's co-location is also
	// timed for, besides the ring's seller; default 20.
	CoLocTargets int

	Log io.Writer // progress lines; nil: none
}

// PingsPerPersonDay is about how many pings the world makes per person and
// day at density 1 (docs/world.md: 340,000 per 1,000 persons and day).
const PingsPerPersonDay = 340

func (c *Config) norm() error {
	if c.Pings <= 0 {
		c.Pings = 1_000_000
	}
	if c.Days <= 0 {
		c.Days = 30
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Queries <= 0 {
		c.Queries = 200
	}
	if c.CoLocTargets <= 0 {
		c.CoLocTargets = 20
	}
	if len(c.Stores) == 0 {
		c.Stores = []string{"sqlite"}
	}
	if c.Dir == "" {
		return errors.New("location bench: no working directory")
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return os.MkdirAll(c.Dir, 0o755)
}

func (c *Config) logf(format string, args ...any) {
	fmt.Fprintf(c.Log, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

// Run generates (or reuses) the world, measures every configured side, and
// returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.norm(); err != nil {
		return nil, err
	}
	w, err := loadWorld(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	qs := newQueries(w, cfg.Queries, cfg.CoLocTargets)
	rep := &Report{Pings: w.pings, Persons: w.persons, Days: cfg.Days, Seed: cfg.Seed,
		Devices: w.devices, Start: w.start, CSVBytes: w.csvBytes, WorldGen: w.genTime.Seconds(),
		Target: w.target, Queries: cfg.Queries, Machine: machine()}
	for _, name := range cfg.Stores {
		s, err := runWrit(ctx, &cfg, w, qs, name)
		if err != nil {
			return rep, fmt.Errorf("writ %s: %w", name, err)
		}
		rep.Sides = append(rep.Sides, s)
	}
	if cfg.PostGISURL != "" {
		s, err := runPostGIS(ctx, &cfg, w, qs)
		if err != nil {
			return rep, fmt.Errorf("postgis: %w", err)
		}
		rep.Sides = append(rep.Sides, s)
	}
	rep.crossCheck()
	return rep, nil
}

// storePath is where a side keeps its files.
func (c *Config) storePath(name string) string { return filepath.Join(c.Dir, name) }
