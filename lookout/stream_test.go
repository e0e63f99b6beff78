package lookout_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/lookout"
)

// TestStreamRedelivery feeds a live stream through ingest.Stream, as the
// NATS feed and streamed HTTP ingest do, then delivers the same messages
// again (at-least-once delivery): each matching message fires once.
func TestStreamRedelivery(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	a := f.authority(t, []writ.Category{writ.CatPlates}, []string{"plate:1ABC123"}, nil, 24*time.Hour)
	l := f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutHotlist,
		Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}})
	m, err := ingest.ParseMapping(strings.NewReader(`{"dataset": "carrier", "kind": "plate_reads", "format": "ndjson",
		"fields": {"plate": {"from": "plate", "normalize": "plate", "required": true},
			"camera": {"from": "camera", "normalize": "id", "required": true},
			"at": {"from": "at", "normalize": "time", "required": true},
			"lat": {"from": "lat", "normalize": "lat", "required": true},
			"lon": {"from": "lon", "normalize": "lon", "required": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ingest.NewStream(f.ingest, m, "anpr-live", ingest.Basis{Kind: "agreement", ID: f.agreement.ID}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	msg := func(seq int64, plate string) ingest.Message {
		at := t0.Add(time.Duration(seq) * time.Minute).Format(time.RFC3339)
		return ingest.Message{Seq: seq, Data: []byte(fmt.Sprintf(`{"plate":%q,"camera":"cam-%d","at":%q,"lat":50.85,"lon":4.35}`, plate, seq, at))}
	}
	first := []ingest.Message{msg(1, "1-ABC-123"), msg(2, "9ZZZ999"), msg(3, "1ABC123")}
	if _, err := st.Commit(f.ctx, first); err != nil {
		t.Fatal(err)
	}
	// Redelivery of 2 and 3 with a new message 4, then all of it again.
	for _, msgs := range [][]ingest.Message{{msg(2, "9ZZZ999"), msg(3, "1ABC123"), msg(4, "1ABC123")}, append(first, msg(4, "1ABC123"))} {
		if _, err := st.Commit(f.ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.alerts(t, l.ID); len(got) != 3 {
		t.Errorf("3 matching messages, delivered up to 3 times: %d alerts %v, want 3", len(got), summaries(got))
	}
}
