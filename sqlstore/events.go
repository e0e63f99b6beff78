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

// InsertContacts stores communication metadata as one batch (see insertOwn).
func (db *DB) InsertContacts(ctx context.Context, rows []writ.Contact) (int, error) {
	return db.insertOwn(ctx, writ.DataContacts, &writ.Batch{Contacts: rows})
}

// InsertPings stores device location fixes as one batch (see insertOwn).
func (db *DB) InsertPings(ctx context.Context, rows []writ.Ping) (int, error) {
	return db.insertOwn(ctx, writ.DataPings, &writ.Batch{Pings: rows})
}

// InsertPlateReads stores licence-plate reads as one batch (see insertOwn).
func (db *DB) InsertPlateReads(ctx context.Context, rows []writ.PlateRead) (int, error) {
	return db.insertOwn(ctx, writ.DataPlateReads, &writ.Batch{PlateReads: rows})
}

// InsertRecords stores records (Fields and Protected as JSON objects) as one
// batch (see insertOwn).
func (db *DB) InsertRecords(ctx context.Context, rows []writ.Record) (int, error) {
	return db.insertOwn(ctx, writ.DataRecords, &writ.Batch{Records: rows})
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
	// subjectLinks: records, whose subject selectors also reach records linked
	// to the subject through resolution (subject_records), and which are
	// restricted to the grant's case in the same condition.
	subjectLinks bool
}

var (
	contactsTable = eventTable{name: "contacts", category: writ.CatComms,
		cols:    `id, caller, callee, started_at, duration_s, type, caller_device, ` + provCols,
		selCols: []string{"caller", "callee"}, timeCol: "started_at"}
	plateReadsTable = eventTable{name: "plate_reads", category: writ.CatPlates,
		cols:    `id, plate, camera, at, lat, lon, ` + provCols,
		selCols: []string{"plate"}, timeCol: "at", geo: true}
	recordsTable = eventTable{name: "records", category: writ.CatRecords,
		cols:    `id, entity, record_id, subject_id, observed_at, fields, protected, ` + provCols,
		selCols: []string{"subject_id"}, intSel: true, timeCol: "observed_at", subjectLinks: true}
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
	case len(sel) > 0 && t.subjectLinks:
		// A record is a granted subject's when ingest linked it to the subject,
		// or when an investigator linked its resolved entity to the subject
		// (subject_records); either way, only subjects of the grant's case.
		in := " IN (" + strings.Repeat("?, ", len(sel)-1) + "?)"
		args := append(append([]any{}, sel...), g.CaseID(), g.CaseID())
		args = append(args, sel...)
		w.add("((subject_id"+in+" AND subject_id IN (SELECT id FROM subjects WHERE case_id = ?))"+
			" OR id IN (SELECT record_id FROM subject_records WHERE case_id = ? AND subject_id"+in+"))", args...)
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
		err := s.Scan(append([]any{&r.ID, &r.Caller, &r.Callee, &at, &r.DurationSec, &r.Type, &r.CallerDevice}, provDest(&r.Prov)...)...)
		r.StartedAt = fromMicros(at)
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

// Records returns records linked to granted subjects that belong to the
// grant's case, inside the grant's window. Unlinked records (no subject)
// are never returned.
func (db *DB) Records(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Record, error) {
	return readEvents(ctx, db, g, recordsTable, q, func(s scanner) (writ.Record, error) {
		var r writ.Record
		var at int64
		var entity, fields, protected string
		var subject sql.NullInt64
		if err := s.Scan(append([]any{&r.ID, &entity, &r.RecordID, &subject, &at, &fields, &protected}, provDest(&r.Prov)...)...); err != nil {
			return r, err
		}
		r.Entity, r.SubjectID, r.ObservedAt = writ.Entity(entity), subject.Int64, fromMicros(at)
		if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
			return r, fmt.Errorf("record %d fields: %w", r.ID, err)
		}
		if protected != "{}" {
			if err := json.Unmarshal([]byte(protected), &r.Protected); err != nil {
				return r, fmt.Errorf("record %d protected fields: %w", r.ID, err)
			}
		}
		return r, nil
	})
}
