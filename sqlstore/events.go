package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
)

// maxParams is SQLite's limit on bound parameters in one statement
// (PostgreSQL's is 65535); batched inserts stay under it.
const maxParams = 32766

// provCols are the provenance columns every event table carries.
const provCols = `dataset, source, src_offset, content_hash, batch, basis_kind, basis_id`

func provArgs(dst []any, p writ.Provenance) []any {
	return append(dst, p.Dataset, p.Source, p.Offset, p.ContentHash, p.Batch, p.BasisKind, p.BasisID)
}

func provDest(p *writ.Provenance) []any {
	return []any{&p.Dataset, &p.Source, &p.Offset, &p.ContentHash, &p.Batch, &p.BasisKind, &p.BasisID}
}

// checkProv refuses a row without the provenance that invariant 3 requires:
// a content hash (which makes inserts idempotent) and a legal basis.
func checkProv(table string, i int, p writ.Provenance) error {
	switch {
	case p.ContentHash == "":
		return writ.Errorf(writ.EInvalid, "%s row %d has no content hash", table, i)
	case p.BasisKind != "authority" && p.BasisKind != "agreement":
		return writ.Errorf(writ.EInvalid, "%s row %d: legal basis must be an authority or an agreement, not %q", table, i, p.BasisKind)
	case p.BasisID <= 0:
		return writ.Errorf(writ.EInvalid, "%s row %d names no %s as its legal basis", table, i, p.BasisKind)
	}
	return nil
}

// insertRows inserts n rows into table in one transaction, as multi-row
// INSERTs that skip rows whose content hash is already stored, and returns
// how many rows were new. args appends row i's values to dst.
func (db *DB) insertRows(ctx context.Context, table, cols string, n int, args func(dst []any, i int) []any) (int, error) {
	if n == 0 {
		return 0, nil
	}
	ncols := strings.Count(cols, ",") + 1
	per := maxParams / ncols
	row := "(" + strings.Repeat("?, ", ncols-1) + "?)"
	head := "INSERT INTO " + table + " (" + cols + ") VALUES "
	const tail = " ON CONFLICT (content_hash) DO NOTHING"
	var added int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		buf := make([]any, 0, min(n, per)*ncols)
		for start := 0; start < n; start += per {
			end := min(n, start+per)
			buf = buf[:0]
			for i := start; i < end; i++ {
				buf = args(buf, i)
			}
			q := head + strings.Repeat(row+", ", end-start-1) + row + tail
			res, err := tx.ExecContext(ctx, db.q(q), buf...)
			if err != nil {
				return fmt.Errorf("insert %s: %w", table, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// InsertContacts stores communication metadata, skipping rows already stored.
func (db *DB) InsertContacts(ctx context.Context, rows []writ.Contact) (int, error) {
	for i, r := range rows {
		if r.Caller == "" || r.Callee == "" {
			return 0, writ.Errorf(writ.EInvalid, "contacts row %d needs a caller and a callee", i)
		}
		if err := checkProv("contacts", i, r.Prov); err != nil {
			return 0, err
		}
	}
	return db.insertRows(ctx, "contacts", `caller, callee, started_at, duration_s, type, `+provCols, len(rows),
		func(dst []any, i int) []any {
			r := &rows[i]
			return provArgs(append(dst, r.Caller, r.Callee, micros(r.StartedAt), r.DurationSec, r.Type), r.Prov)
		})
}

// InsertPings stores device location fixes, skipping rows already stored.
func (db *DB) InsertPings(ctx context.Context, rows []writ.Ping) (int, error) {
	for i, r := range rows {
		if r.Device == "" {
			return 0, writ.Errorf(writ.EInvalid, "pings row %d needs a device", i)
		}
		if err := checkProv("pings", i, r.Prov); err != nil {
			return 0, err
		}
	}
	return db.insertRows(ctx, "pings", `device, at, lat, lon, accuracy_m, `+provCols, len(rows),
		func(dst []any, i int) []any {
			r := &rows[i]
			return provArgs(append(dst, r.Device, micros(r.At), r.Lat, r.Lon, r.AccuracyM), r.Prov)
		})
}

// InsertPlateReads stores licence-plate reads, skipping rows already stored.
func (db *DB) InsertPlateReads(ctx context.Context, rows []writ.PlateRead) (int, error) {
	for i, r := range rows {
		if r.Plate == "" {
			return 0, writ.Errorf(writ.EInvalid, "plate_reads row %d needs a plate", i)
		}
		if err := checkProv("plate_reads", i, r.Prov); err != nil {
			return 0, err
		}
	}
	return db.insertRows(ctx, "plate_reads", `plate, camera, at, lat, lon, `+provCols, len(rows),
		func(dst []any, i int) []any {
			r := &rows[i]
			return provArgs(append(dst, r.Plate, r.Camera, micros(r.At), r.Lat, r.Lon), r.Prov)
		})
}

// InsertRecords stores records about subjects (Fields as a JSON object),
// skipping rows already stored.
func (db *DB) InsertRecords(ctx context.Context, rows []writ.Record) (int, error) {
	fields := make([]string, len(rows))
	for i, r := range rows {
		if r.SubjectID <= 0 {
			return 0, writ.Errorf(writ.EInvalid, "records row %d needs a subject", i)
		}
		if err := checkProv("records", i, r.Prov); err != nil {
			return 0, err
		}
		f := r.Fields
		if f == nil {
			f = map[string]string{}
		}
		b, err := json.Marshal(f)
		if err != nil {
			return 0, writ.Errorf(writ.EInvalid, "records row %d fields: %v", i, err)
		}
		fields[i] = string(b)
	}
	return db.insertRows(ctx, "records", `subject_id, observed_at, fields, `+provCols, len(rows),
		func(dst []any, i int) []any {
			r := &rows[i]
			return provArgs(append(dst, r.SubjectID, micros(r.ObservedAt), fields[i]), r.Prov)
		})
}

// eventTable says how reads of one kind of case data are clipped to a grant.
type eventTable struct {
	name     string
	category writ.Category
	cols     string   // selected columns, id first
	selCols  []string // a row is named when any of these holds a granted selector
	intSel   bool     // selector values are integer ids
	timeCol  string
	geo      bool   // has lat and lon, so the grant's area clips it
	caseCond string // restricts rows to the grant's case (one ? for the case id)
}

var (
	contactsTable = eventTable{name: "contacts", category: writ.CatComms,
		cols:    `id, caller, callee, started_at, duration_s, type, ` + provCols,
		selCols: []string{"caller", "callee"}, timeCol: "started_at"}
	pingsTable = eventTable{name: "pings", category: writ.CatLocation,
		cols:    `id, device, at, lat, lon, accuracy_m, ` + provCols,
		selCols: []string{"device"}, timeCol: "at", geo: true}
	plateReadsTable = eventTable{name: "plate_reads", category: writ.CatPlates,
		cols:    `id, plate, camera, at, lat, lon, ` + provCols,
		selCols: []string{"plate"}, timeCol: "at", geo: true}
	recordsTable = eventTable{name: "records", category: writ.CatRecords,
		cols:    `id, subject_id, observed_at, fields, ` + provCols,
		selCols: []string{"subject_id"}, intSel: true, timeCol: "observed_at",
		caseCond: "subject_id IN (SELECT id FROM subjects WHERE case_id = ?)"}
)

// clause accumulates the conditions of a WHERE clause and their arguments.
type clause struct {
	conds []string
	args  []any
}

func (c *clause) add(cond string, args ...any) {
	c.conds = append(c.conds, cond)
	c.args = append(c.args, args...)
}

func (c *clause) where() string {
	if len(c.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.conds, " AND ")
}

// clip checks g and builds the WHERE clause that confines a read of t to the
// grant narrowed by q: granted selectors, the window, the area and the case.
// ok is false when nothing can match. The gate has already checked the
// request; this is the second line, so it trusts nothing but the grant.
func clip(g *writ.Grant, t eventTable, q writ.EventQuery) (w clause, limit int, ok bool, err error) {
	if err := g.Check(t.category); err != nil {
		return w, 0, false, err
	}
	values, from, to, limit, ok := g.Clip(q)
	if !ok {
		return w, 0, false, nil
	}
	area := g.Area()
	var sel []any
	for _, v := range values {
		if !t.intSel {
			sel = append(sel, v)
		} else if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			sel = append(sel, id)
		}
	}
	switch {
	case len(sel) > 0:
		in := " IN (" + strings.Repeat("?, ", len(sel)-1) + "?)"
		var ors []string
		var args []any
		for _, c := range t.selCols {
			ors = append(ors, c+in)
			args = append(args, sel...)
		}
		w.add("("+strings.Join(ors, " OR ")+")", args...)
	case len(values) == 0 && t.geo && len(area) > 0:
		// An area grant: the area alone clips the read.
	default:
		return w, 0, false, nil
	}
	w.add(t.timeCol+" >= ? AND "+t.timeCol+" < ?", ceilMicros(from), ceilMicros(to))
	if t.geo && len(area) > 0 {
		lo, hi := area.Bounds()
		w.add("lat >= ? AND lat <= ? AND lon >= ? AND lon <= ?", lo.Lat, hi.Lat, lo.Lon, hi.Lon)
		w.add("writ_in_polygon(lat, lon, ?)", ring(area))
	}
	if t.caseCond != "" {
		w.add(t.caseCond, g.CaseID())
	}
	if q.AfterID > 0 {
		w.add("id > ?", q.AfterID)
	}
	return w, limit, true, nil
}

// ceilMicros rounds up to whole microseconds, the unit times are stored in,
// so that "at >= from" and "at < to" mean the same in SQL as in Go.
func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}

// ring writes p as "((lon,lat),(lon,lat),...)", the form writ_in_polygon
// takes, with floats that parse back to exactly the same values.
func ring(p writ.Polygon) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, q := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		b.WriteString(strconv.FormatFloat(q.Lon, 'g', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(q.Lat, 'g', -1, 64))
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// readEvents runs a read of t clipped to g and q, in id order, one page.
func readEvents[T any](ctx context.Context, db *DB, g *writ.Grant, t eventTable, q writ.EventQuery, scan func(scanner) (T, error)) ([]T, error) {
	w, limit, ok, err := clip(g, t, q)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []T{}, nil
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+t.cols+` FROM `+t.name+w.where()+` ORDER BY id LIMIT ?`),
		append(w.args, limit)...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scan, db.wrap)
}

// Contacts returns communication metadata where the caller or the callee is
// a granted phone number, inside the grant's window.
func (db *DB) Contacts(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Contact, error) {
	return readEvents(ctx, db, g, contactsTable, q, func(s scanner) (writ.Contact, error) {
		var r writ.Contact
		var at int64
		err := s.Scan(append([]any{&r.ID, &r.Caller, &r.Callee, &at, &r.DurationSec, &r.Type}, provDest(&r.Prov)...)...)
		r.StartedAt = fromMicros(at)
		return r, err
	})
}

// Pings returns location fixes of granted devices (or, under an area grant,
// of any device) inside the grant's window and area.
func (db *DB) Pings(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Ping, error) {
	return readEvents(ctx, db, g, pingsTable, q, func(s scanner) (writ.Ping, error) {
		var r writ.Ping
		var at int64
		err := s.Scan(append([]any{&r.ID, &r.Device, &at, &r.Lat, &r.Lon, &r.AccuracyM}, provDest(&r.Prov)...)...)
		r.At = fromMicros(at)
		return r, err
	})
}

// PlateReads returns reads of granted plates (or, under an area grant, of
// any plate) inside the grant's window and area.
func (db *DB) PlateReads(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.PlateRead, error) {
	return readEvents(ctx, db, g, plateReadsTable, q, func(s scanner) (writ.PlateRead, error) {
		var r writ.PlateRead
		var at int64
		err := s.Scan(append([]any{&r.ID, &r.Plate, &r.Camera, &at, &r.Lat, &r.Lon}, provDest(&r.Prov)...)...)
		r.At = fromMicros(at)
		return r, err
	})
}

// Records returns records of granted subjects that belong to the grant's
// case, inside the grant's window.
func (db *DB) Records(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Record, error) {
	return readEvents(ctx, db, g, recordsTable, q, func(s scanner) (writ.Record, error) {
		var r writ.Record
		var at int64
		var fields string
		if err := s.Scan(append([]any{&r.ID, &r.SubjectID, &at, &fields}, provDest(&r.Prov)...)...); err != nil {
			return r, err
		}
		r.ObservedAt = fromMicros(at)
		if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
			return r, fmt.Errorf("record %d fields: %w", r.ID, err)
		}
		return r, nil
	})
}
