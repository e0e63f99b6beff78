package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

// agreement stores a data-sharing agreement, a legal basis for batches.
func (f *fixture) agreement(t *testing.T) *writ.Agreement {
	t.Helper()
	a := &writ.Agreement{Name: "Vehicle registry sharing", Dataset: "vehicle_registry", Parties: []string{"Registry", "Police"},
		Purposes: []string{"investigations"}, RetentionDays: 365, ExpiresAt: writ.Now().Add(365 * 24 * time.Hour), CreatedBy: f.lead.ID}
	if err := f.db.CreateAgreement(f.ctx, a); err != nil {
		t.Fatalf("CreateAgreement() = %v", err)
	}
	return a
}

// pingBatch is batch n of a file of pings: rows n*size+1 .. (n+1)*size, with
// the last row quarantined.
func pingBatch(key string, n int64, size int, basis int64) *writ.Batch {
	b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: key, Number: n, Size: size, Dataset: "carrier-location",
		Source: "pings.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: basis, Read: int64(size)}}
	for i := range size - 1 {
		line := n*int64(size) + int64(i) + 2 // after the header
		b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprint("dev-", i%3), At: t0.Add(time.Duration(line) * time.Minute),
			Lat: 40.7, Lon: -74.0, Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprintf("%s-%d", key, line)}})
	}
	last := n*int64(size) + int64(size) + 1
	b.Quarantine = []writ.QuarantinedRow{{Offset: last, Field: "lat", Reason: "bad_coordinate", Detail: "lat 91 is out of range",
		Raw: []byte("dev-1,2025-03-01T00:00:00Z,91,4")}}
	return b
}

func testCommitBatch(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.authority()
	a.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}}
	auth := f.approved(t, a)
	t.Run("once", func(t *testing.T) {
		b := pingBatch("sha256:aa", 0, 5, auth.ID)
		res, err := db.CommitBatch(ctx, b)
		if err != nil || !res.Committed || res.Stored != 4 || res.Quarantined != 1 || res.ID == 0 {
			t.Fatalf("CommitBatch(new) = %+v, %v, want committed, 4 stored, 1 quarantined", res, err)
		}
		id := strconv.FormatInt(res.ID, 10)
		want := writ.Provenance{Dataset: "carrier-location", Source: "pings.csv", Offset: 2, ContentHash: "sha256:aa-2",
			Batch: id, BasisKind: "authority", BasisID: auth.ID}
		if got := b.Pings[0].Prov; got != want {
			t.Errorf("CommitBatch set provenance %+v, want %+v", got, want)
		}
		again := pingBatch("sha256:aa", 0, 5, auth.ID)
		res, err = db.CommitBatch(ctx, again)
		if err != nil || res.Committed || res.Stored != 0 || res.ID != 0 {
			t.Errorf("CommitBatch(same key again) = %+v, %v, want not committed", res, err)
		}
		if got := count(t, db, "pings"); got != 4 {
			t.Errorf("pings stored = %d, want 4", got)
		}
		if got := count(t, db, "ingest_quarantine"); got != 1 {
			t.Errorf("quarantined rows = %d, want 1", got)
		}
		// The same batch number of another source is another batch.
		res, err = db.CommitBatch(ctx, pingBatch("sha256:bb", 0, 5, auth.ID))
		if err != nil || !res.Committed {
			t.Errorf("CommitBatch(other source) = %+v, %v, want committed", res, err)
		}
		res, err = db.CommitBatch(ctx, pingBatch("sha256:aa", 1, 5, auth.ID))
		if err != nil || !res.Committed {
			t.Errorf("CommitBatch(next batch) = %+v, %v, want committed", res, err)
		}
		got, err := db.Batches(ctx, "sha256:aa")
		if err != nil || len(got) != 2 || got[0].Number != 0 || got[1].Number != 1 {
			t.Fatalf("Batches(sha256:aa) = %+v, %v, want batches 0 and 1", got, err)
		}
		wantInfo := b.BatchInfo
		if !reflect.DeepEqual(got[0], wantInfo) {
			t.Errorf("Batches()[0] = %+v, want %+v", got[0], wantInfo)
		}
		if got[0].Read != 5 || got[0].Stored != 4 || got[0].Quarantined != 1 {
			t.Errorf("Batches()[0] counts = %d read, %d stored, %d quarantined, want 5, 4, 1", got[0].Read, got[0].Stored, got[0].Quarantined)
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		before := count(t, db, "pings")
		b := pingBatch("sha256:cc", 0, 1200, auth.ID)
		b.Pings[1100].Lat = 100 // the database refuses it, after many rows were written
		if _, err := db.CommitBatch(ctx, b); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("CommitBatch(lat 100) = %v, want an invalid error", err)
		}
		if got := count(t, db, "pings"); got != before {
			t.Errorf("pings = %d after a failed batch, want %d", got, before)
		}
		if got, err := db.Batches(ctx, "sha256:cc"); err != nil || len(got) != 0 {
			t.Errorf("Batches(failed source) = %+v, %v, want none", got, err)
		}
		b.Pings[1100].Lat = 40
		if res, err := db.CommitBatch(ctx, b); err != nil || !res.Committed || res.Stored != 1199 {
			t.Errorf("CommitBatch(fixed) = %+v, %v, want 1199 stored", res, err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(b *writ.Batch)
			kind   string
		}{
			{"no source key", func(b *writ.Batch) { b.SourceKey = "" }, writ.EInvalid},
			{"no size", func(b *writ.Batch) { b.Size = 0 }, writ.EInvalid},
			{"no dataset", func(b *writ.Batch) { b.Dataset = "" }, writ.EInvalid},
			{"unknown kind", func(b *writ.Batch) { b.Kind = "emails" }, writ.EInvalid},
			{"rows of another kind", func(b *writ.Batch) { b.Contacts = []writ.Contact{contact("x", "+1", "+2", t0)} }, writ.EInvalid},
			{"no basis", func(b *writ.Batch) { b.BasisKind = "" }, writ.EInvalid},
			{"unknown authority", func(b *writ.Batch) { b.BasisID = 999999 }, writ.ENotFound},
			{"unknown agreement", func(b *writ.Batch) { b.BasisKind, b.BasisID = "agreement", 999999 }, writ.ENotFound},
			{"row without hash", func(b *writ.Batch) { b.Pings[0].Prov.ContentHash = "" }, writ.EInvalid},
			{"row without device", func(b *writ.Batch) { b.Pings[0].Device = "" }, writ.EInvalid},
			{"quarantine without reason", func(b *writ.Batch) { b.Quarantine[0].Reason = "" }, writ.EInvalid},
		}
		for _, tt := range tests {
			b := pingBatch("sha256:dd", 0, 3, auth.ID)
			tt.change(b)
			_, err := db.CommitBatch(ctx, b)
			wantKind(t, "CommitBatch("+tt.name+")", err, tt.kind)
		}
		if got, err := db.Batches(ctx, "sha256:dd"); err != nil || len(got) != 0 {
			t.Errorf("Batches(refused source) = %+v, %v, want none", got, err)
		}
	})
	t.Run("quarantine", func(t *testing.T) {
		ag := f.agreement(t)
		long := []byte(strings.Repeat("x", writ.MaxQuarantineRaw+100))
		bad := []byte{'a', 0xff, 0xfe, ',', 'b'}
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:ee", Size: 10, Dataset: "vehicle_registry",
			Source: "reg.csv", Kind: writ.DataRecords, BasisKind: "agreement", BasisID: ag.ID},
			Quarantine: []writ.QuarantinedRow{
				{Offset: 7, Reason: "line_too_long", Detail: "line of 4196 bytes", Raw: long},
				{Offset: 9, Reason: "bad_utf8", Detail: "invalid UTF-8", Raw: bad},
			}}
		res, err := db.CommitBatch(ctx, b)
		if err != nil || res.Quarantined != 2 || res.Stored != 0 {
			t.Fatalf("CommitBatch(only quarantine) = %+v, %v", res, err)
		}
		got, err := db.Quarantined(ctx, writ.QuarantineFilter{BatchID: res.ID})
		if err != nil || len(got) != 2 {
			t.Fatalf("Quarantined(batch %d) = %+v, %v, want 2 rows", res.ID, got, err)
		}
		want := writ.QuarantinedRow{ID: got[0].ID, BatchID: res.ID, Dataset: "vehicle_registry", Source: "reg.csv", Offset: 7,
			Reason: "line_too_long", Detail: "line of 4196 bytes", Raw: long[:writ.MaxQuarantineRaw], RawSize: int64(len(long))}
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("Quarantined()[0] = %+v, want %+v", got[0], want)
		}
		if !slices.Equal(got[1].Raw, bad) || got[1].Reason != "bad_utf8" {
			t.Errorf("Quarantined()[1] raw = %q (%s), want %q kept byte for byte", got[1].Raw, got[1].Reason, bad)
		}
		page, err := db.Quarantined(ctx, writ.QuarantineFilter{Dataset: "vehicle_registry", AfterID: got[0].ID, Limit: 5})
		if err != nil || len(page) != 1 || page[0].ID != got[1].ID {
			t.Errorf("Quarantined(after %d) = %+v, %v, want the second row", got[0].ID, page, err)
		}
		if all, err := db.Quarantined(ctx, writ.QuarantineFilter{Dataset: "no-such-dataset"}); err != nil || len(all) != 0 {
			t.Errorf("Quarantined(other dataset) = %+v, %v, want none", all, err)
		}
	})
	t.Run("stream", func(t *testing.T) {
		if mark, err := db.StreamMark(ctx, "cdr-feed"); err != nil || mark != 0 {
			t.Errorf("StreamMark(new stream) = %d, %v, want 0", mark, err)
		}
		// Messages 1..6 arrive in batches that overlap on redelivery.
		batch := func(from, to int64) *writ.Batch {
			b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "stream:cdr-feed", Number: to, Size: 100, Dataset: "telco-cdr",
				Source: "cdr-feed", Kind: writ.DataContacts, BasisKind: "authority", BasisID: auth.ID}, Stream: "cdr-feed"}
			for seq := from; seq <= to; seq++ {
				c := contact(fmt.Sprint("msg-", seq), "+15550000001", "+15550000002", t0.Add(time.Duration(seq)*time.Minute))
				c.Prov = writ.Provenance{Offset: seq, ContentHash: c.Prov.ContentHash}
				b.Contacts = append(b.Contacts, c)
			}
			return b
		}
		before := count(t, db, "contacts")
		steps := []struct {
			from, to     int64
			stored, skip int
			committed    bool
			mark         int64
			name         string
		}{
			{1, 3, 3, 0, true, 3, "first delivery"},
			{1, 3, 0, 0, false, 3, "the same batch redelivered"},
			{2, 5, 2, 2, true, 5, "overlapping redelivery"},
			{4, 4, 0, 1, true, 5, "a late duplicate"},
			{6, 6, 1, 0, true, 6, "next"},
		}
		for _, s := range steps {
			res, err := db.CommitBatch(ctx, batch(s.from, s.to))
			if err != nil || res.Committed != s.committed || res.Stored != s.stored || res.Skipped != s.skip {
				t.Errorf("CommitBatch(%s, %d..%d) = %+v, %v, want committed %v, %d stored, %d skipped",
					s.name, s.from, s.to, res, err, s.committed, s.stored, s.skip)
			}
			if mark, err := db.StreamMark(ctx, "cdr-feed"); err != nil || mark != s.mark {
				t.Errorf("StreamMark after %s = %d, %v, want %d", s.name, mark, err, s.mark)
			}
		}
		if got := count(t, db, "contacts") - before; got != 6 {
			t.Errorf("contacts stored from the stream = %d, want 6 (each message once)", got)
		}
	})
	t.Run("records and fields", func(t *testing.T) {
		ag := f.agreement(t)
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:ff", Size: 10, Dataset: "population",
			Source: "pop.csv", Kind: writ.DataRecords, BasisKind: "agreement", BasisID: ag.ID},
			Records: []writ.Record{{Entity: writ.EntityPerson, RecordID: "P1", ObservedAt: t0,
				Fields: map[string]string{"name": "Jon Doe"}, Protected: map[string]string{"religion": "none"},
				Prov: writ.Provenance{Offset: 2, ContentHash: "h-p1"}}},
			Fields: []writ.FieldSchema{{Field: "name", Entity: writ.EntityPerson}, {Field: "religion", Entity: writ.EntityPerson, Protected: true}}}
		if _, err := db.CommitBatch(ctx, b); err != nil {
			t.Fatalf("CommitBatch(records) = %v", err)
		}
		// A later run that forgets to mark religion protected does not unmark it.
		b2 := &writ.Batch{BatchInfo: b.BatchInfo, Fields: []writ.FieldSchema{{Field: "religion", Entity: writ.EntityPerson},
			{Field: "dob", Entity: writ.EntityPerson}}}
		b2.SourceKey = "sha256:fe"
		if _, err := db.CommitBatch(ctx, b2); err != nil {
			t.Fatalf("CommitBatch(records, second run) = %v", err)
		}
		got, err := db.DatasetFields(ctx, "population")
		want := []writ.FieldSchema{{Dataset: "population", Field: "dob", Entity: writ.EntityPerson},
			{Dataset: "population", Field: "name", Entity: writ.EntityPerson},
			{Dataset: "population", Field: "religion", Entity: writ.EntityPerson, Protected: true}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("DatasetFields(population) = %+v, %v, want %+v", got, err, want)
		}
		// Unlinked, the record is unreadable under any grant, even one that
		// names every subject of the case.
		s := f.subject(t, f.c, "Jon Doe")
		a := f.authority()
		a.Selectors = []writ.Selector{{Kind: writ.SelSubject, Value: itoa(s.ID)}}
		a = f.approved(t, a)
		g := f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatRecords, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
		if rows, err := db.Records(ctx, g, writ.EventQuery{}); err != nil || len(rows) != 0 {
			t.Errorf("Records(unlinked only) = %+v, %v, want none", rows, err)
		}
	})
}
