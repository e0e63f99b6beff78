package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/world"
)

// BenchmarkPingsVersusCopy measures, in one run on the same 200,000 pings:
//
//   - writ: writ's whole ingest path into PostgreSQL (read, parse,
//     normalise, hash, commit with provenance and the pings indexes);
//   - copy_floor: PostgreSQL's own COPY of the same CSV file into a plain
//     table with no index, the floor;
//   - copy_tables: COPY of the same rows, already converted, into writ's
//     pings table with its indexes, what PostgreSQL alone can do for writ's
//     layout.
//
// It reports rows/s for each and writ's time over copy_tables (the issue's
// target is at most 1.5). Run with
//
//	WRIT_TEST_POSTGRES=... go test -run '^$' -bench PingsVersusCopy -benchtime 3x ./ingest
func BenchmarkPingsVersusCopy(b *testing.B) {
	const rows = 200_000
	raw, err := world.Mapping("pings")
	if err != nil {
		b.Fatal(err)
	}
	m, err := ingest.ParseMapping(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "pings.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	writePingsFile(w, rows)
	w.Flush()
	f.Close()
	csvBytes, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var writT, floorT, tablesT time.Duration
	for range b.N {
		b.StopTimer()
		db := postgres.OpenTest(b)
		basis := newBases(b, db, "pings")
		b.StartTimer()

		start := time.Now()
		s, err := ingest.File(ctx, db, m, path, ingest.Options{Basis: basis.authority})
		writT += time.Since(start)
		if err != nil || s.Stored != rows {
			b.Fatalf("File() = %+v, %v", s, err)
		}

		// (a) the floor: COPY of the CSV bytes into an unindexed table.
		if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE pings_floor (device text, at bigint, lat float8, lon float8, accuracy_m float8)`); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		n := copyText(b, db, bytes.NewReader(csvBytes), `COPY pings_floor FROM STDIN (FORMAT csv, HEADER true)`)
		floorT += time.Since(start)
		if n != rows {
			b.Fatalf("COPY floor stored %d rows, want %d", n, rows)
		}

		// (b) COPY of the same rows, converted, into writ's pings table
		// and indexes (emptied first).
		if _, err := db.Writer().ExecContext(ctx, `TRUNCATE pings`); err != nil {
			b.Fatal(err)
		}
		vals := convertPings(b, csvBytes, basis.authority.ID)
		start = time.Now()
		n = copyRows(b, db, "pings", []string{"device", "at", "lat", "lon", "accuracy_m", "dataset", "source", "src_offset",
			"content_hash", "batch", "basis_kind", "basis_id"}, vals)
		tablesT += time.Since(start)
		if n != rows {
			b.Fatalf("COPY into pings stored %d rows, want %d", n, rows)
		}
	}
	rate := func(d time.Duration) float64 { return float64(rows*b.N) / d.Seconds() }
	b.ReportMetric(rate(writT), "writ-rows/s")
	b.ReportMetric(rate(floorT), "copy_floor-rows/s")
	b.ReportMetric(rate(tablesT), "copy_tables-rows/s")
	b.ReportMetric(writT.Seconds()/tablesT.Seconds(), "writ/copy_tables")
}

// convertPings turns the CSV into the rows writ stores, outside the timing.
func convertPings(tb testing.TB, csvBytes []byte, basisID int64) [][]any {
	tb.Helper()
	var out [][]any
	sc := bufio.NewScanner(bytes.NewReader(csvBytes))
	sc.Scan() // header
	line := int64(1)
	for sc.Scan() {
		line++
		f := bytes.Split(sc.Bytes(), []byte(","))
		at, _ := strconv.ParseInt(string(f[1]), 10, 64)
		lat, _ := strconv.ParseFloat(string(f[2]), 64)
		lon, _ := strconv.ParseFloat(string(f[3]), 64)
		acc, _ := strconv.ParseFloat(string(f[4]), 64)
		out = append(out, []any{string(f[0]), at * 1e6, lat, lon, acc, "pings", "pings.csv", line,
			fmt.Sprintf("%064x", line), "1", "authority", basisID})
	}
	return out
}

func withPgx(tb testing.TB, db *sqlstore.DB, fn func(c *pgx.Conn) error) {
	tb.Helper()
	conn, err := db.Writer().Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error { return fn(dc.(*stdlib.Conn).Conn()) }); err != nil {
		tb.Fatal(err)
	}
}

func copyText(tb testing.TB, db *sqlstore.DB, r *bytes.Reader, stmt string) int64 {
	var n int64
	withPgx(tb, db, func(c *pgx.Conn) error {
		tag, err := c.PgConn().CopyFrom(context.Background(), r, stmt)
		n = tag.RowsAffected()
		return err
	})
	return n
}

func copyRows(tb testing.TB, db *sqlstore.DB, table string, cols []string, rows [][]any) int64 {
	var n int64
	withPgx(tb, db, func(c *pgx.Conn) error {
		var err error
		n, err = c.CopyFrom(context.Background(), pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
	return n
}
