package lookout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

// entry is one active lookout in the index, with the authority facts that
// bound it, cached when the index was built: an event outside the window,
// or after the expiry, never becomes a candidate. Revocation is checked
// through the gate before an alert fires (Service.fire).
type entry struct {
	l         *writ.Lookout
	from, to  time.Time // the authority's window
	expiresAt time.Time
	named     map[string]bool // selectors the authority names, for masking; shared, read only
	within    func(writ.Point) bool
	conds     []writ.Condition // records: every condition, folded
	known     map[string]bool  // subject_change: "field\x00value" seen
}

func (e *entry) live(at, now time.Time) bool {
	return now.Before(e.expiresAt) && !at.Before(e.from) && at.Before(e.to)
}

// Index maps event keys to the lookouts they may fire, so matching an event
// costs a few map lookups whatever the number of lookouts. It is immutable
// once built except for the subject_change known sets, which the matcher
// guards.
type Index struct {
	phones  map[string][]*entry // appears, comms
	devices map[string][]*entry // appears and area, location
	plates  map[string][]*entry // hotlist and area, plates
	// Area lookouts that name no selector (under an authority with an
	// area), by the level-13 S2 cells covering their area.
	pingCells, plateCells map[uint64][]*entry
	// Records lookouts by "entity\x00field\x00value" of their first condition.
	attrs map[string][]*entry
	// named is the selectors each authority names, shared by its lookouts:
	// an authority may name thousands.
	named map[*writ.Authority]map[string]bool
	n     int
}

// Len is the number of lookouts indexed.
func (x *Index) Len() int { return x.n }

func newIndex() *Index {
	return &Index{phones: map[string][]*entry{}, devices: map[string][]*entry{}, plates: map[string][]*entry{},
		pingCells: map[uint64][]*entry{}, plateCells: map[uint64][]*entry{}, attrs: map[string][]*entry{},
		named: map[*writ.Authority]map[string]bool{}}
}

// add indexes l under authority a. Lookouts whose authority is not
// approved are left out: they could never fire.
func (x *Index) add(l *writ.Lookout, a *writ.Authority) {
	if a == nil || a.Status != writ.AuthApproved || l.Status != writ.LookoutActive {
		return
	}
	named, ok := x.named[a]
	if !ok {
		named = make(map[string]bool, len(a.Selectors))
		for _, s := range a.Selectors {
			named[s.String()] = true
		}
		x.named[a] = named
	}
	e := &entry{l: l, from: a.WindowStart, to: a.WindowEnd, expiresAt: a.ExpiresAt, named: named}
	x.n++
	switch l.Kind {
	case writ.LookoutAppears:
		m := x.phones
		if l.Category == writ.CatLocation {
			m = x.devices
		}
		for _, s := range l.Selectors {
			m[s.Value] = append(m[s.Value], e)
		}
	case writ.LookoutHotlist:
		for _, s := range l.Selectors {
			x.plates[s.Value] = append(x.plates[s.Value], e)
		}
	case writ.LookoutArea:
		var cells []uint64
		if c := l.Circle; c != nil {
			e.within = c.Contains
			cells = pingblock.CoverCircle(c.Center.Lat, c.Center.Lon, c.RadiusM)
		} else {
			e.within = l.Area.Contains
			vs := make([][2]float64, len(l.Area))
			for i, p := range l.Area {
				vs[i] = [2]float64{p.Lat, p.Lon}
			}
			cells = pingblock.CoverPolygon(vs)
		}
		bySel, byCell := x.devices, x.pingCells
		if l.Category == writ.CatPlates {
			bySel, byCell = x.plates, x.plateCells
		}
		if len(l.Selectors) > 0 {
			for _, s := range l.Selectors {
				bySel[s.Value] = append(bySel[s.Value], e)
			}
			return
		}
		for _, c := range cells {
			byCell[c] = append(byCell[c], e)
		}
	case writ.LookoutAttribute, writ.LookoutSubjectChange:
		e.conds = l.Conditions
		if l.Kind == writ.LookoutSubjectChange {
			e.known = map[string]bool{}
			for _, k := range l.Known {
				e.known[k.Field+"\x00"+writ.FoldValue(k.Value)] = true
			}
		}
		c := l.Conditions[0]
		k := attrKey(l.Entity, c.Field, c.Value)
		x.attrs[k] = append(x.attrs[k], e)
	}
}

func attrKey(e writ.Entity, field, folded string) string {
	return string(e) + "\x00" + field + "\x00" + folded
}

// candidate is an alert the index found, before the gate, the rate limit
// and deduplication have had their say.
type candidate struct {
	e     *entry
	a     *writ.Alert
	known []writ.Condition // subject_change: new watched values
}

// matcher holds the state matching needs across batches: which area each
// device or plate is inside (to fire on entering, not on every ping), and
// the pseudonym key for area lookouts that name no selector.
type matcher struct {
	inside map[string]map[int64]bool // selector value → area lookouts it is inside
	pseudo []byte
	cur    map[int64]bool // scratch
}

func newMatcher(pseudo []byte) *matcher {
	return &matcher{inside: map[string]map[int64]bool{}, pseudo: pseudo, cur: map[int64]bool{}}
}

// eventKey identifies an event for deduplication: its kind and content
// hash (the hash of the source row, the same when a batch or message is
// delivered again).
func eventKey(k writ.DataKind, p *writ.Provenance, fallback func() string) string {
	if p.ContentHash != "" {
		return string(k) + ":" + p.ContentHash
	}
	h := sha256.Sum256([]byte(fallback()))
	return string(k) + ":" + hex.EncodeToString(h[:16])
}

// batch matches every row of b against x and returns the candidates.
func (m *matcher) batch(x *Index, b *writ.Batch, now time.Time) []candidate {
	var out []candidate
	for i := range b.Contacts {
		out = m.contact(x, &b.Contacts[i], now, out)
	}
	for i := range b.Pings {
		out = m.ping(x, &b.Pings[i], now, out)
	}
	for i := range b.PlateReads {
		out = m.plate(x, &b.PlateReads[i], now, out)
	}
	for i := range b.Records {
		out = m.record(x, &b.Records[i], now, out)
	}
	return out
}

func (m *matcher) contact(x *Index, c *writ.Contact, now time.Time, out []candidate) []candidate {
	for _, side := range [2][2]string{{c.Caller, c.Callee}, {c.Callee, c.Caller}} {
		for _, e := range x.phones[side[0]] {
			if !e.live(c.StartedAt, now) {
				continue
			}
			other := side[1]
			if !e.named["phone:"+other] {
				other = "(a number the authority does not name)"
			}
			a := newAlert(e, writ.DataContacts, eventKey(writ.DataContacts, &c.Prov, func() string {
				return fmt.Sprint(c.Caller, c.Callee, c.StartedAt.UnixMicro(), c.DurationSec, c.Type)
			}), c.StartedAt, writ.Selector{Kind: writ.SelPhone, Value: side[0]})
			a.Summary = fmt.Sprintf("%s in a %s with %s", side[0], c.Type, other)
			a.Detail = map[string]string{"caller": c.Caller, "callee": c.Callee, "type": c.Type,
				"duration_s": strconv.Itoa(c.DurationSec), "started_at": c.StartedAt.Format(time.RFC3339)}
			if side[0] == c.Caller {
				a.Detail["callee"] = other
			} else {
				a.Detail["caller"] = other
			}
			out = append(out, candidate{e: e, a: a})
		}
	}
	return out
}

func (m *matcher) ping(x *Index, p *writ.Ping, now time.Time, out []candidate) []candidate {
	pt := writ.Point{Lat: p.Lat, Lon: p.Lon}
	key := func() string { return fmt.Sprint(p.Device, p.At.UnixMicro(), p.Lat, p.Lon) }
	clear(m.cur)
	for _, e := range x.devices[p.Device] {
		if !e.live(p.At, now) {
			continue
		}
		if e.l.Kind == writ.LookoutAppears {
			a := newAlert(e, writ.DataPings, eventKey(writ.DataPings, &p.Prov, key), p.At, writ.Selector{Kind: writ.SelDevice, Value: p.Device})
			a.Summary = fmt.Sprintf("device %s seen", p.Device)
			a.Detail = pointDetail(p.At, pt)
			out = append(out, candidate{e: e, a: a})
			continue
		}
		if e.within(pt) {
			m.cur[e.l.ID] = true
			out = m.enter(e, p.Device, p.Device, writ.SelDevice, writ.DataPings, eventKey(writ.DataPings, &p.Prov, key), p.At, pt, out)
		}
	}
	if len(x.pingCells) > 0 {
		for _, e := range x.pingCells[pingblock.Cell(p.Lat, p.Lon)] {
			if e.live(p.At, now) && e.within(pt) {
				m.cur[e.l.ID] = true
				out = m.enter(e, p.Device, m.pseudonym(e, p.Device), writ.SelDevice, writ.DataPings, eventKey(writ.DataPings, &p.Prov, key), p.At, pt, out)
			}
		}
	}
	m.settle(p.Device)
	return out
}

func (m *matcher) plate(x *Index, r *writ.PlateRead, now time.Time, out []candidate) []candidate {
	pt := writ.Point{Lat: r.Lat, Lon: r.Lon}
	key := func() string { return fmt.Sprint(r.Plate, r.Camera, r.At.UnixMicro()) }
	clear(m.cur)
	for _, e := range x.plates[r.Plate] {
		if !e.live(r.At, now) {
			continue
		}
		if e.l.Kind == writ.LookoutHotlist {
			a := newAlert(e, writ.DataPlateReads, eventKey(writ.DataPlateReads, &r.Prov, key), r.At, writ.Selector{Kind: writ.SelPlate, Value: r.Plate})
			a.Summary = fmt.Sprintf("hotlisted plate %s read by camera %s", r.Plate, r.Camera)
			a.Detail = pointDetail(r.At, pt)
			a.Detail["camera"] = r.Camera
			out = append(out, candidate{e: e, a: a})
			continue
		}
		if e.within(pt) {
			m.cur[e.l.ID] = true
			out = m.enter(e, "plate:"+r.Plate, r.Plate, writ.SelPlate, writ.DataPlateReads, eventKey(writ.DataPlateReads, &r.Prov, key), r.At, pt, out)
		}
	}
	if len(x.plateCells) > 0 {
		for _, e := range x.plateCells[pingblock.Cell(r.Lat, r.Lon)] {
			if e.live(r.At, now) && e.within(pt) {
				m.cur[e.l.ID] = true
				out = m.enter(e, "plate:"+r.Plate, m.pseudonym(e, r.Plate), writ.SelPlate, writ.DataPlateReads, eventKey(writ.DataPlateReads, &r.Prov, key), r.At, pt, out)
			}
		}
	}
	m.settle("plate:" + r.Plate)
	return out
}

// enter fires e when who was not inside its area at its previous event.
// shown is what the alert names: the identifier, or (area lookouts without
// selectors) its pseudonym.
func (m *matcher) enter(e *entry, who, shown string, k writ.SelectorKind, dk writ.DataKind, key string, at time.Time, pt writ.Point, out []candidate) []candidate {
	if m.inside[who][e.l.ID] {
		return out
	}
	a := newAlert(e, dk, key, at, writ.Selector{Kind: k, Value: shown})
	a.Detail = map[string]string{}
	if len(e.l.Selectors) == 0 {
		a.Selector = writ.Selector{} // a pseudonym is not a selector
		a.Detail["token"] = shown
	}
	for kk, v := range pointDetail(at, pt) {
		a.Detail[kk] = v
	}
	a.Summary = fmt.Sprintf("%s %s entered the area of %q", k, shown, e.l.Name)
	return append(out, candidate{e: e, a: a})
}

// settle makes the areas who is inside now (m.cur) its state.
func (m *matcher) settle(who string) {
	prev := m.inside[who]
	if len(m.cur) == 0 {
		if prev != nil {
			delete(m.inside, who)
		}
		return
	}
	if prev == nil {
		prev = map[int64]bool{}
		m.inside[who] = prev
	}
	clear(prev)
	for id := range m.cur {
		prev[id] = true
	}
}

// pseudonym is the token an area lookout without selectors shows instead
// of a device or plate: the authority covers the area, not the identifier
// (the first step of the geofence process).
func (m *matcher) pseudonym(e *entry, v string) string {
	h := hmac.New(sha256.New, m.pseudo)
	fmt.Fprintf(h, "%d\x00%s", e.l.AuthorityID, v)
	return "tok_" + hex.EncodeToString(h.Sum(nil)[:8])
}

func (m *matcher) record(x *Index, r *writ.Record, now time.Time, out []candidate) []candidate {
	if len(x.attrs) == 0 {
		return out
	}
	for field, v := range r.Fields {
		fv := writ.FoldValue(v)
		if fv == "" {
			continue
		}
		for _, e := range x.attrs[attrKey(r.Entity, field, fv)] {
			if !e.live(r.ObservedAt, now) || (e.l.Dataset != "" && e.l.Dataset != r.Prov.Dataset) || !allHold(e.conds, r.Fields) {
				continue
			}
			key := eventKey(writ.DataRecords, &r.Prov, func() string { return fmt.Sprint(r.Entity, r.RecordID, r.ObservedAt.UnixMicro(), r.Fields) })
			a := newAlert(e, writ.DataRecords, key, r.ObservedAt, writ.Selector{})
			a.Selector = e.l.Selectors[0]
			a.Detail = map[string]string{"dataset": r.Prov.Dataset, "entity": string(r.Entity), "record_id": r.RecordID}
			c := candidate{e: e, a: a}
			if e.l.Kind == writ.LookoutAttribute {
				a.Summary = fmt.Sprintf("a %s record in %s matches every condition", r.Entity, r.Prov.Dataset)
				for f, v := range r.Fields {
					a.Detail[f] = v // Fields never hold protected attributes (Record.Protected does)
				}
				out = append(out, c)
				continue
			}
			var changed []string
			for _, f := range e.l.Watch {
				wv := writ.FoldValue(r.Fields[f])
				if wv == "" || e.known[f+"\x00"+wv] {
					continue
				}
				e.known[f+"\x00"+wv] = true
				c.known = append(c.known, writ.Condition{Field: f, Value: wv})
				a.Detail[f] = r.Fields[f]
				changed = append(changed, f)
			}
			if len(changed) > 0 {
				a.Summary = fmt.Sprintf("new %s for the subject in %s", strings.Join(changed, ", "), r.Prov.Dataset)
				out = append(out, c)
			}
		}
	}
	return out
}

func allHold(conds []writ.Condition, fields map[string]string) bool {
	for _, c := range conds {
		if writ.FoldValue(fields[c.Field]) != c.Value {
			return false
		}
	}
	return true
}

func newAlert(e *entry, dk writ.DataKind, key string, at time.Time, sel writ.Selector) *writ.Alert {
	return &writ.Alert{LookoutID: e.l.ID, CaseID: e.l.CaseID, AuthorityID: e.l.AuthorityID, Kind: e.l.Kind,
		EventKind: dk, EventKey: key, EventAt: at, Selector: sel}
}

func pointDetail(at time.Time, p writ.Point) map[string]string {
	return map[string]string{"at": at.Format(time.RFC3339), "lat": strconv.FormatFloat(p.Lat, 'f', 6, 64),
		"lon": strconv.FormatFloat(p.Lon, 'f', 6, 64)}
}
