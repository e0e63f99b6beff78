package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/writhq/writ/gcpolicy"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/world"
)

// The benchmarks ingest a file end to end (read, parse, normalise, hash,
// commit with the tables' indexes) through the world's mappings, into a
// fresh database each iteration, and report rows per second.

func BenchmarkIngestPings(b *testing.B) {
	benchIngest(b, "pings", 200_000, writePingsFile)
}

func BenchmarkIngestContacts(b *testing.B) {
	benchIngest(b, "contacts", 100_000, writeContactsFile)
}

func BenchmarkIngestRecords(b *testing.B) {
	benchIngest(b, "vehicle_registry", 50_000, writeVehiclesFile)
}

func benchIngest(b *testing.B, dataset string, rows int, write func(w *bufio.Writer, rows int)) {
	b.Logf("runtime: %s (as the writ binary runs)", gcpolicy.Apply(os.Getenv))
	raw, err := world.Mapping(dataset)
	if err != nil {
		b.Fatal(err)
	}
	m, err := ingest.ParseMapping(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), dataset+".csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	write(w, rows)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	for _, store := range []struct {
		name string
		open func(testing.TB) *sqlstore.DB
	}{{"sqlite", openSQLite}, {"postgres", func(tb testing.TB) *sqlstore.DB { return postgres.OpenTest(tb) }}} {
		b.Run(store.name, func(b *testing.B) {
			b.ReportAllocs()
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db := store.open(b)
				basis := newBases(b, db, dataset)
				opt := ingest.Options{Basis: basis.agreements[dataset]}
				if m.Kind != "records" {
					opt.Basis = basis.authority
				}
				b.StartTimer()
				start := time.Now()
				s, err := ingest.File(context.Background(), db, m, path, opt)
				elapsed += time.Since(start)
				if err != nil || s.Stored != int64(rows) {
					b.Fatalf("File() = %+v, %v; want %d rows stored", s, err, rows)
				}
			}
			b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// writePingsFile writes pings as the world does: devices reporting every
// few minutes, in time order, around Brussels.
func writePingsFile(w *bufio.Writer, rows int) {
	w.WriteString("device,at,lat,lon,accuracy_m\n")
	const devices = 2000
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	for i := range rows {
		d := i % devices
		fmt.Fprintf(w, "3533201156%05d,%d,%.6f,%.6f,%d\n", d, t0+int64(i/devices)*300+int64(d%300),
			50.77+float64((i*7919)%16000)/1e5, 4.27+float64((i*104729)%21000)/1e5, 10+i%20)
	}
}

func writeContactsFile(w *bufio.Writer, rows int) {
	w.WriteString("caller,callee,started_at,duration_s,type,caller_imei\n")
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		kind, dur := "call", 30+i%600
		if i%3 == 0 {
			kind, dur = "sms", 0
		}
		caller := (i * 7919) % 50000
		fmt.Fprintf(w, "+3247%07d,+3247%07d,%s,%d,%s,3533201156%05d\n", caller, (i*104729)%50000,
			t0.Add(time.Duration(i)*2*time.Second).Format(time.RFC3339), dur, kind, caller)
	}
}

func writeVehiclesFile(w *bufio.Writer, rows int) {
	w.WriteString("registration_id;plate;vin;make;model;colour;first_registration;registered_on;owner_surname;owner_first_name;" +
		"owner_birth_date;owner_national_number;owner_street;owner_house_number;owner_postcode;owner_city\n")
	for i := range rows {
		fmt.Fprintf(w, "DIV%08d;%d-%c%c%c-%03d;VF1TKC4G1SP%06d;Renault;Clio;brown;14/07/2007;%02d/%02d/2023;NICOLAS;Jean-Pierre;"+
			"27/10/1994;94.10.27-%03d.32;Rue Saint-Lambert;%d;1040;Etterbeek\n",
			i, 1+i%9, 'A'+i%26, 'A'+(i/26)%26, 'A'+(i/676)%26, i%1000, i, 1+i%28, 1+i%12, i%1000, 1+i%200)
	}
}

// BenchmarkPingStorage ingests the pings of a generated world (the world's
// own file and mapping, person-days in order) into each store and reports
// pings/s end to end and bytes per ping on disk, indexes included: for
// SQLite the database file after a WAL checkpoint, and the block tables
// alone (dbstat); for PostgreSQL pg_total_relation_size of the ping tables.
// The default world is small, for CI; size it with WRIT_BENCH_PERSONS and
// WRIT_BENCH_DAYS (1,000 persons make about 340,000 pings a day), and the
// ingest batch with WRIT_BENCH_BATCH (default: ingest's).
func BenchmarkPingStorage(b *testing.B) {
	b.Logf("runtime: %s (as the writ binary runs)", gcpolicy.Apply(os.Getenv))
	persons, days, batch := envInt(b, "WRIT_BENCH_PERSONS", 200), envInt(b, "WRIT_BENCH_DAYS", 1), envInt(b, "WRIT_BENCH_BATCH", 0)
	dir := b.TempDir()
	sum, err := world.Generate(context.Background(), world.Config{Seed: 1, Persons: persons, Days: days, Out: dir})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := world.Mapping("pings")
	if err != nil {
		b.Fatal(err)
	}
	m, err := ingest.ParseMapping(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "events", "pings.csv")
	rows := sum.Pings
	for _, store := range []struct {
		name string
		open func(testing.TB) (*sqlstore.DB, func() int64)
	}{{"sqlite", sqliteSized}, {"postgres", postgresSized}} {
		b.Run(store.name, func(b *testing.B) {
			var elapsed, cpu time.Duration
			var size int64
			for range b.N {
				b.StopTimer()
				db, onDisk := store.open(b)
				basis := newBases(b, db)
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime(b)
				s, err := ingest.File(context.Background(), db, m, path, ingest.Options{Basis: basis.authority, BatchSize: batch})
				elapsed += time.Since(start)
				cpu += cpuTime(b) - cpu0
				if err != nil || s.Stored != rows {
					b.Fatalf("File() = %+v, %v; want %d pings stored", s, err, rows)
				}
				b.StopTimer()
				size = onDisk()
				b.StartTimer()
			}
			b.ReportMetric(float64(rows), "pings")
			b.ReportMetric(float64(rows*int64(b.N))/elapsed.Seconds(), "pings/s")
			b.ReportMetric(float64(size)/float64(rows), "bytes/ping")
			// The process's CPU time (user and system) per ping: on a shared
			// machine a steadier figure than the rate.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows*int64(b.N)), "cpu-ns/ping")
			// The process's peak resident memory so far: the world's
			// generation, then ingest (the batches in flight, SQLite's
			// caches, the collector's slack); after sqlite, postgres's
			// figure includes sqlite's peak.
			b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-rss-MB")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident memory so far, in bytes.
func peakRSS(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Maxrss << 10 // Linux reports KiB
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		tb.Fatalf("%s=%q is not a count", name, v)
	}
	return n
}

// sqliteSized opens a SQLite store; its size function checkpoints the WAL
// and returns the database file's size, and logs the block tables' share.
func sqliteSized(tb testing.TB) (*sqlstore.DB, func() int64) {
	path := filepath.Join(tb.TempDir(), "writ.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, func() int64 {
		if _, err := db.Writer().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			tb.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			tb.Fatal(err)
		}
		// Compaction frees pages that later inserts reuse: the file keeps
		// them, so the pages in use are logged beside it.
		var pages, free, size int64
		if err := db.Reader().QueryRow(`SELECT * FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()`).
			Scan(&pages, &free, &size); err == nil {
			tb.Logf("sqlite: file %d bytes, %d bytes in pages in use", fi.Size(), (pages-free)*size)
		}
		for _, t := range []string{"ping_cell_blocks", "ping_device_blocks"} {
			var size, blocks, pings, payload int64
			if err := db.Reader().QueryRow(`SELECT (SELECT sum(pgsize) FROM dbstat WHERE name = '`+t+`'), count(*), sum(n), sum(length(block)) FROM `+t).
				Scan(&size, &blocks, &pings, &payload); err == nil && pings > 0 {
				tb.Logf("sqlite %s: %d bytes on disk, %d blocks of %.1f pings, payload %.2f bytes/ping, on disk %.2f bytes/ping",
					t, size, blocks, float64(pings)/float64(blocks), float64(payload)/float64(pings), float64(size)/float64(pings))
			}
		}
		return fi.Size()
	}
}

// postgresSized opens a PostgreSQL store; its size function returns the
// total size of the ping tables, indexes and TOAST included.
func postgresSized(tb testing.TB) (*sqlstore.DB, func() int64) {
	db := postgres.OpenTest(tb)
	return db, func() int64 {
		var n int64
		if err := db.Reader().QueryRow(`SELECT pg_total_relation_size('ping_cell_blocks') + pg_total_relation_size('ping_device_blocks') +
			pg_total_relation_size('ping_batches') + pg_total_relation_size('ping_rows')`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		return n
	}
}
