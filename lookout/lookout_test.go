package lookout_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
)

const (
	phoneA = "+32491000001"
	phoneB = "+32491000002"
	phoneC = "+32491000003"
	lat0   = 50.8466
	lon0   = 4.3528
)

// TestEachKindFiresOnce commits each kind's events, then the same events
// again in another batch (as a replayed file or a redelivered stream
// message would be), and checks that every matching event fired exactly
// once, that nothing else fired, and that every alert is in the audit log.
func TestEachKindFiresOnce(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	far := 0.05 // degrees: well outside the test areas
	tests := []struct {
		name    string
		cats    []writ.Category
		sels    []string
		area    writ.Polygon // the authority's
		lookout writ.Lookout
		batch   func(f *fixture, subject int64) *writ.Batch
		want    int
		check   func(t *testing.T, as []*writ.Alert)
	}{
		{
			name: "appears phone", cats: []writ.Category{writ.CatComms}, sels: []string{"phone:" + phoneA},
			lookout: writ.Lookout{Kind: writ.LookoutAppears, Selectors: []writ.Selector{{Kind: writ.SelPhone, Value: phoneA}}},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataContacts)
				b.Contacts = []writ.Contact{contact(phoneA, phoneB, at(1)), contact(phoneB, phoneC, at(2)), contact(phoneC, phoneA, at(3))}
				return b
			},
			want: 2,
			check: func(t *testing.T, as []*writ.Alert) {
				for _, a := range as {
					if strings.Contains(a.Summary, phoneB) || strings.Contains(a.Summary, phoneC) || a.Detail["callee"] == phoneB {
						t.Errorf("alert %q shows a number the authority does not name", a.Summary)
					}
				}
			},
		},
		{
			name: "appears device", cats: []writ.Category{writ.CatLocation}, sels: []string{"device:dev-1"},
			lookout: writ.Lookout{Kind: writ.LookoutAppears, Selectors: []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}}},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataPings)
				b.Pings = []writ.Ping{ping("dev-1", at(1), lat0, lon0), ping("dev-2", at(1), lat0, lon0), ping("dev-1", at(5), lat0, lon0)}
				return b
			},
			want: 2,
		},
		{
			name: "device enters polygon", cats: []writ.Category{writ.CatLocation}, sels: []string{"device:dev-1"},
			lookout: writ.Lookout{Kind: writ.LookoutArea, Selectors: []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}}, Area: square(lat0, lon0)},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataPings)
				// out, in (enters), in, out, in (enters again); dev-2 is not named.
				b.Pings = []writ.Ping{ping("dev-1", at(1), lat0+far, lon0), ping("dev-1", at(2), lat0, lon0), ping("dev-1", at(3), lat0+0.001, lon0),
					ping("dev-1", at(4), lat0, lon0+far), ping("dev-1", at(5), lat0, lon0), ping("dev-2", at(5), lat0, lon0)}
				return b
			},
			want: 2,
		},
		{
			name: "plate enters circle", cats: []writ.Category{writ.CatPlates}, sels: []string{"plate:1ABC123"},
			lookout: writ.Lookout{Kind: writ.LookoutArea, Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}},
				Circle: &writ.Circle{Center: writ.Point{Lat: lat0, Lon: lon0}, RadiusM: 300}},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataPlateReads)
				b.PlateReads = []writ.PlateRead{plateRead("1ABC123", "cam-far", at(1), lat0+far, lon0),
					plateRead("1ABC123", "cam-in", at(2), lat0+0.001, lon0), plateRead("9ZZZ999", "cam-in", at(2), lat0, lon0)}
				return b
			},
			want: 1,
		},
		{
			name: "any device enters the authority's area", cats: []writ.Category{writ.CatLocation}, area: squareD(lat0, lon0, 0.01),
			lookout: writ.Lookout{Kind: writ.LookoutArea, Area: squareD(lat0, lon0, 0.004)},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataPings)
				b.Pings = []writ.Ping{ping("dev-7", at(1), lat0, lon0), ping("dev-8", at(1), lat0+far, lon0), ping("dev-9", at(2), lat0-0.001, lon0)}
				return b
			},
			want: 2,
			check: func(t *testing.T, as []*writ.Alert) {
				for _, a := range as {
					if a.Selector.Kind != "" || !strings.HasPrefix(a.Detail["token"], "tok_") || strings.Contains(a.Summary, "dev-") {
						t.Errorf("area-only alert %+v shows a device, want a pseudonymous token", a)
					}
				}
			},
		},
		{
			name: "hotlisted plate", cats: []writ.Category{writ.CatPlates}, sels: []string{"plate:1ABC123"},
			lookout: writ.Lookout{Kind: writ.LookoutHotlist, Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1-abc-123"}}},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataPlateReads)
				b.PlateReads = []writ.PlateRead{plateRead("1ABC123", "cam-1", at(1), lat0, lon0), plateRead("1ABC123", "cam-2", at(9), lat0+far, lon0),
					plateRead("2XYZ987", "cam-1", at(1), lat0, lon0)}
				return b
			},
			want: 2,
		},
		{
			name: "entity attributes", cats: []writ.Category{writ.CatRecords},
			lookout: writ.Lookout{Kind: writ.LookoutAttribute, Entity: writ.EntityPerson,
				Conditions: []writ.Condition{{Field: "full_name", Value: "Jan  PEETERS"}, {Field: "birth_date", Value: "1980-01-02"}}},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataRecords)
				b.Records = []writ.Record{
					record("r1", at(1), map[string]string{"full_name": "Jan Peeters", "birth_date": "1980-01-02", "city": "Gent"}),
					record("r2", at(1), map[string]string{"full_name": "Jan Peeters", "birth_date": "1991-05-05"}),
					record("r3", at(1), map[string]string{"full_name": "An Maes", "birth_date": "1980-01-02"}),
				}
				return b
			},
			want: 1,
		},
		{
			name: "subject changes address", cats: []writ.Category{writ.CatRecords},
			lookout: writ.Lookout{Kind: writ.LookoutSubjectChange, Entity: writ.EntityPerson,
				Conditions: []writ.Condition{{Field: "full_name", Value: "Jan Peeters"}}, Watch: []string{"street_address", "phone"}},
			batch: func(f *fixture, _ int64) *writ.Batch {
				b := f.batch(writ.DataRecords)
				b.Records = []writ.Record{
					record("r1", at(1), map[string]string{"full_name": "Jan Peeters", "street_address": "Rue Haute 1"}),
					record("r2", at(2), map[string]string{"full_name": "Jan Peeters", "street_address": "rue haute 1"}), // known
					record("r3", at(3), map[string]string{"full_name": "Jan Peeters", "street_address": "Kerkstraat 9"}),
					record("r4", at(3), map[string]string{"full_name": "Piet Peeters", "street_address": "Elders 2"}),
				}
				return b
			},
			want: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, lookout.Config{})
			sels := tt.sels
			var subject int64
			if tt.cats[0] == writ.CatRecords {
				s := &writ.Subject{CaseID: f.c.ID, Name: "Jan Peeters", CreatedBy: f.lead.ID}
				if err := f.db.CreateSubject(f.ctx, s); err != nil {
					t.Fatal(err)
				}
				subject = s.ID
				sels = []string{"subject:" + itoa(s.ID)}
				tt.lookout.Selectors = []writ.Selector{{Kind: writ.SelSubject, Value: itoa(s.ID)}}
			}
			a := f.authority(t, tt.cats, sels, tt.area, 30*24*time.Hour)
			l := tt.lookout
			l.AuthorityID = a.ID
			f.create(t, &l)

			b := tt.batch(f, subject)
			if res := f.commit(t, b); !res.Committed {
				t.Fatalf("CommitBatch() = %+v, want committed", res)
			}
			got := f.alerts(t, l.ID)
			if len(got) != tt.want {
				t.Fatalf("after one batch: %d alerts %v, want %d", len(got), summaries(got), tt.want)
			}
			// The same events again, in another batch and in the same one.
			again := tt.batch(f, subject)
			f.commit(t, again)
			f.commit(t, b)
			if got2 := f.alerts(t, l.ID); len(got2) != tt.want {
				t.Errorf("after the events were delivered again: %d alerts %v, want %d", len(got2), summaries(got2), tt.want)
			}
			if n := f.auditedAlerts(t, a.ID); n != tt.want {
				t.Errorf("audit log holds %d lookout.alert entries, want %d", n, tt.want)
			}
			for _, al := range got {
				if al.CaseID != f.c.ID || al.AuthorityID != a.ID || al.LookoutID != l.ID || al.Kind != l.Kind {
					t.Errorf("alert %+v does not name its lookout, case and authority", al)
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func summaries(as []*writ.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Summary)
	}
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
