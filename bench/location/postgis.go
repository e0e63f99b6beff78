package location

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostGISTimeout bounds the PostGIS co-location query; a run that hits it
// is reported as timed out at this figure.
var PostGISTimeout = 10 * time.Minute

// The table and indexes a user would build for these queries.
var postgisIndexes = []struct{ name, sql string }{
	{"index gist(geom)", `CREATE INDEX pings_geom ON pings USING gist (geom)`},
	{"index btree(t)", `CREATE INDEX pings_t ON pings (t)`},
	{"index btree(device, t)", `CREATE INDEX pings_device_t ON pings (device, t)`},
	{"analyze", `ANALYZE pings`},
}

const (
	postgisTrajectory = `SELECT t, ST_Y(geom), ST_X(geom), accuracy FROM pings
		WHERE device = $1 AND t >= $2 AND t < $3 ORDER BY t`
	postgisArea = `SELECT device, t, ST_Y(geom), ST_X(geom), accuracy FROM pings
		WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) AND t >= $5 AND t < $6`
	// Co-location as a user would write it: every ping within 100 m and
	// 10 min of one of the target's fixes (the fixes and pings accurate to
	// 100 m, as geo.CoLocation takes them), counted per device and day.
	// ST_DWithin on degrees (0.0015° ≥ 100 m at Brussels) uses the GiST
	// index; ST_DistanceSphere keeps the exact 100 m.
	postgisCoLocation = `WITH target AS (
			SELECT t, geom FROM pings WHERE device = $1 AND t >= $2 AND t < $3 AND accuracy <= 100
		), met AS (
			SELECT DISTINCT p.device, p.t, (target.t AT TIME ZONE 'UTC')::date AS day FROM target
			JOIN pings p ON p.t BETWEEN target.t - interval '10 minutes' AND target.t + interval '10 minutes'
				AND ST_DWithin(p.geom, target.geom, 0.0015)
				AND ST_DistanceSphere(p.geom, target.geom) <= 100
			WHERE p.device <> $1 AND p.accuracy <= 100
		)
		SELECT device, count(DISTINCT t) AS encounters, count(DISTINCT day) AS days
		FROM met GROUP BY device ORDER BY days DESC, encounters DESC, device`
)

func runPostGIS(ctx context.Context, cfg *Config, w *worldData, qs *queries) (*Side, error) {
	s := &Side{Name: "postgis", Load: map[string]float64{}}
	admin, err := pgx.Connect(ctx, cfg.PostGISURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close(context.Background())
	var b [4]byte
	rand.Read(b[:])
	dbname := "writ_locbench_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+dbname); err != nil {
		return nil, err
	}
	if !cfg.KeepStores {
		defer admin.Exec(context.Background(), "DROP DATABASE "+dbname+" WITH (FORCE)")
	}
	u, err := url.Parse(cfg.PostGISURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + dbname
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		return nil, fmt.Errorf("PostGIS is not available on the server (install the package postgresql-15-postgis-3): %w", err)
	}
	var version string
	if err := conn.QueryRow(ctx, "SELECT postgis_lib_version() || ' on ' || current_setting('server_version')").Scan(&version); err != nil {
		return nil, err
	}
	s.Notes = append(s.Notes, "PostGIS "+version+"; maintenance_work_mem 1GB for the index builds, otherwise the server's defaults.")
	if _, err := conn.Exec(ctx, `CREATE TABLE pings (device text NOT NULL, t timestamptz NOT NULL,
		geom geometry(Point, 4326) NOT NULL, accuracy real)`); err != nil {
		return nil, err
	}
	cfg.logf("postgis: COPY %s into database %s", w.csv, dbname)
	start := time.Now()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(copyRows(w.csv, pw)) }()
	tag, err := conn.PgConn().CopyFrom(ctx, pr, "COPY pings (device, t, geom, accuracy) FROM STDIN")
	pr.Close()
	if err != nil {
		return nil, err
	}
	s.Load["copy"] = time.Since(start).Seconds()
	s.Stored = tag.RowsAffected()
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '1GB'"); err != nil {
		return nil, err
	}
	for _, ix := range postgisIndexes {
		t := time.Now()
		if _, err := conn.Exec(ctx, ix.sql); err != nil {
			return nil, fmt.Errorf("%s: %w", ix.name, err)
		}
		s.Load[ix.name] = time.Since(t).Seconds()
		cfg.logf("postgis: %s %.1fs", ix.name, s.Load[ix.name])
	}
	s.LoadS = time.Since(start).Seconds()
	s.PingsPerS = float64(s.Stored) / s.LoadS
	if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size('pings')").Scan(&s.Bytes); err != nil {
		return nil, err
	}
	s.BytesPerPing = float64(s.Bytes) / float64(max(s.Stored, 1))
	cfg.logf("postgis: load %.1fs (%.0f pings/s), %.1f bytes/ping", s.LoadS, s.PingsPerS, s.BytesPerPing)

	trajectory := func(q trajQuery) (int, time.Duration, error) {
		t := time.Now()
		n, err := drain(conn.Query(ctx, postgisTrajectory, q.device, q.from, q.to))
		return n, time.Since(t), err
	}
	area := func(q areaQuery) (int, time.Duration, error) {
		t := time.Now()
		n, err := drain(conn.Query(ctx, postgisArea, q.minLon, q.minLat, q.maxLon, q.maxLat, q.from, q.to))
		return n, time.Since(t), err
	}
	if s.Trajectory, s.trajRows, err = timeQueries(qs.trajWarm, qs.traj, trajectory); err != nil {
		return nil, fmt.Errorf("trajectory: %w", err)
	}
	if s.Area, s.areaRows, err = timeQueries(qs.areaWarm, qs.area, area); err != nil {
		return nil, fmt.Errorf("area: %w", err)
	}
	cfg.logf("postgis: trajectory p50 %.2f ms, area p50 %.2f ms", s.Trajectory.P50, s.Area.P50)
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET statement_timeout = %d", PostGISTimeout.Milliseconds())); err != nil {
		return nil, err
	}
	if err := colocRuns(&s.CoLoc, func() (*CoLoc, error) { return postgisCoLocate(ctx, conn, qs) }); err != nil {
		return nil, fmt.Errorf("co-location: %w", err)
	}
	cfg.logf("postgis: co-location runs %v ms", floats(s.CoLoc.Runs))
	return s, nil
}

func postgisCoLocate(ctx context.Context, conn *pgx.Conn, qs *queries) (*CoLoc, error) {
	start := time.Now()
	c := &CoLoc{Reads: 1}
	rows, err := conn.Query(ctx, postgisCoLocation, qs.target, qs.from, qs.to)
	if err == nil {
		for rows.Next() {
			var dev string
			var enc, days int64
			if err := rows.Scan(&dev, &enc, &days); err != nil {
				rows.Close()
				return nil, err
			}
			c.Devices++
		}
		rows.Close()
		err = rows.Err()
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "57014" { // query_canceled: statement_timeout
		c.TimedOut = true
	} else if err != nil {
		return nil, err
	}
	c.Runs = []float64{ms(time.Since(start))}
	c.RowsRead = int64(c.Devices)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pings WHERE device = $1 AND t >= $2 AND t < $3 AND accuracy <= 100`,
		qs.target, qs.from, qs.to).Scan(&c.TargetFixes); err != nil {
		return nil, err
	}
	return c, nil
}

// drain reads every row of a query (as a client would), and counts them.
func drain(rows pgx.Rows, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// copyRows turns the world's pings.csv into COPY text rows: the device, the
// time, the point as hex EWKB (SRID 4326) and the accuracy.
func copyRows(path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	bw := bufio.NewWriterSize(out, 1<<20)
	if _, err := r.ReadSlice('\n'); err != nil {
		return err
	}
	var buf []byte
	var wkb [25]byte
	copy(wkb[:9], []byte{1, 1, 0, 0, 0x20, 0xe6, 0x10, 0, 0}) // little endian, point with SRID, 4326
	for line := 2; ; line++ {
		l, err := r.ReadSlice('\n')
		if len(l) == 0 && err != nil {
			break
		}
		s, perr := parsePing(l)
		if perr != nil {
			return fmt.Errorf("%s line %d: %w", path, line, perr)
		}
		acc := lastField(l)
		binary.LittleEndian.PutUint64(wkb[9:], math.Float64bits(s.lon))
		binary.LittleEndian.PutUint64(wkb[17:], math.Float64bits(s.lat))
		buf = append(buf[:0], s.device...)
		buf = append(buf, '\t')
		buf = time.Unix(s.t, 0).UTC().AppendFormat(buf, "2006-01-02 15:04:05+00")
		buf = append(buf, '\t')
		buf = hex.AppendEncode(buf, wkb[:])
		buf = append(buf, '\t')
		if len(acc) == 0 {
			buf = append(buf, `\N`...)
		} else {
			buf = append(buf, acc...)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// lastField is the fifth CSV field (accuracy_m), empty if absent.
func lastField(line []byte) []byte {
	n := 0
	for i, c := range line {
		if c == ',' {
			n++
			if n == 4 {
				end := len(line)
				for end > i+1 && (line[end-1] == '\n' || line[end-1] == '\r') {
					end--
				}
				if _, err := strconv.ParseFloat(string(line[i+1:end]), 64); err != nil {
					return nil
				}
				return line[i+1 : end]
			}
		}
	}
	return nil
}
