package graph

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ/world"
)

// worldGraph generates a small synthetic world and builds its contact graph.
func worldGraph(t testing.TB, persons, days int) (*Graph, []Event, *world.Truth) {
	t.Helper()
	w := loadWorld(t, persons, days)
	return w.g, w.events, w.truth
}

// worldData is a generated world as an analyst would have it: the contact
// graph, and the fixes of each number's handset, found through the IMEI
// the contacts carry and that handset's pings.
type worldData struct {
	g      *Graph
	events []Event
	truth  *world.Truth
	fixes  [][]Fix // by node id
}

func (w *worldData) Fixes(u uint32) []Fix { return w.fixes[u] }

func loadWorld(t testing.TB, persons, days int) *worldData {
	t.Helper()
	return loadWorldSeed(t, 1, persons, days)
}

func loadWorldSeed(t testing.TB, seed uint64, persons, days int) *worldData {
	t.Helper()
	dir := t.TempDir()
	if _, err := world.Generate(context.Background(), world.Config{Seed: seed, Persons: persons, Days: days, Out: dir, Density: 0.02}); err != nil {
		t.Fatal(err)
	}
	truth, err := world.LoadTruth(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(0)
	imei := make(map[string]map[string]bool)                                         // number -> handsets it was used in
	eachRecord(t, filepath.Join(dir, "events", "contacts.csv"), func(rec []string) { // caller,callee,started_at,duration_s,type,caller_imei
		at, err := time.Parse(time.RFC3339, rec[2])
		if err != nil {
			t.Fatal(err)
		}
		dur, _ := strconv.Atoi(rec[3])
		b.Add(rec[0], rec[1], at.Unix(), int32(dur))
		if len(rec) > 5 && rec[5] != "" {
			if imei[rec[0]] == nil {
				imei[rec[0]] = make(map[string]bool)
			}
			imei[rec[0]][rec[5]] = true
		}
	})
	g := b.Build()
	pings := make(map[string][]Fix)                                               // handset -> fixes
	eachRecord(t, filepath.Join(dir, "events", "pings.csv"), func(rec []string) { // device,at,lat,lon,accuracy_m
		at, err1 := strconv.ParseInt(rec[1], 10, 64)
		lat, err2 := strconv.ParseFloat(rec[2], 64)
		lon, err3 := strconv.ParseFloat(rec[3], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("ping %v: bad field", rec)
		}
		pings[rec[0]] = append(pings[rec[0]], Fix{At: at, Lat: lat, Lon: lon})
	})
	fixes := make([][]Fix, g.Len())
	for u := range g.Len() {
		for d := range imei[g.Name(uint32(u))] {
			fixes[u] = append(fixes[u], pings[d]...)
		}
	}
	return &worldData{g: g, events: b.Events(), truth: truth, fixes: fixes}
}

// eachRecord calls fn with each record of a CSV file after its header.
func eachRecord(t testing.TB, path string, fn func([]string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(rec)
	}
}

func TestWorldSwitches(t *testing.T) {
	w := loadWorld(t, 2000, 28)
	// From contacts alone the target (precision and recall >= 0.9
	// on exact pairs) is out of reach: the ring's members switch together,
	// their burners carry only ring business, and members of one role (the
	// two suppliers, the three couriers) call the same numbers at the same
	// rates, so within a role old and new numbers cannot be told apart.
	// What is asserted there is what holds: every number flagged took part
	// in a switch, most switches are seen, and the joint assignment pairs
	// numbers of the same role. The places of the handsets (through the
	// IMEI on the contacts and the handsets' pings) tell them apart.
	t.Run("contacts", func(t *testing.T) {
		testWorldSwitches(t, w, SwitchOptions{}, switchWant{pairP: 0.4, numP: 0.9, numR: 0.8, othersP: 0.9, role: 0.85})
	})
	t.Run("places", func(t *testing.T) {
		testWorldSwitches(t, w, SwitchOptions{Fixes: w.Fixes}, switchWant{pairP: 0.9, pairR: 0.9, numP: 0.9, numR: 0.9, othersP: 0.9, role: 1})
	})
}

// switchWant are the least precision and recall a test asks of Switches:
// on exact pairs, on numbers, on exact pairs outside the ring, and the
// share of ring pairs whose old and new numbers were held by one role.
type switchWant struct {
	pairP, pairR, numP, numR, othersP, role float64
}

func testWorldSwitches(t *testing.T, w *worldData, o SwitchOptions, want switchWant) {
	g, truth := w.g, w.truth
	ring := make(map[string]bool) // the ring's burner numbers
	for _, s := range truth.Ring.Switches {
		ring[s.OldNumber], ring[s.NewNumber] = true, true
	}
	got := g.Switches(o)
	var all, others switchCount
	for _, s := range truth.Switches {
		all.add(s.OldNumber, s.NewNumber, true)
		if !ring[s.OldNumber] {
			others.add(s.OldNumber, s.NewNumber, true)
		}
	}
	for _, s := range got {
		o, n := g.Name(s.Old), g.Name(s.New)
		all.add(o, n, false)
		if !ring[o] && !ring[n] {
			others.add(o, n, false)
		}
	}
	role := make(map[string]string) // ring burner number -> holder's role
	for _, m := range truth.Ring.Members {
		for _, p := range m.Phones {
			if p.Kind == "burner" {
				role[p.Number] = m.Role
			}
		}
	}
	sameRole, ringFound := 0, 0
	for _, s := range got {
		o, n := g.Name(s.Old), g.Name(s.New)
		if role[o] != "" || role[n] != "" {
			ringFound++
			if role[o] == role[n] {
				sameRole++
			}
		}
	}
	pp, pr := all.pairs()
	np, nr := all.numbers()
	op, or := others.pairs()
	t.Logf("switches: %d found, %d true (%d by the ring)", len(got), len(truth.Switches), len(truth.Ring.Switches))
	t.Logf("exact pairs, all: precision %.3f, recall %.3f", pp, pr)
	t.Logf("exact pairs, outside the ring: precision %.3f, recall %.3f", op, or)
	t.Logf("ring pairs with old and new held by the same role: %d of %d", sameRole, ringFound)
	t.Logf("numbers (old went silent, new took over), all: precision %.3f, recall %.3f", np, nr)
	if rr := float64(sameRole) / float64(max(1, ringFound)); rr < want.role {
		t.Errorf("Switches: %d of %d ring pairs keep the role, want >= %.0f%%", sameRole, ringFound, 100*want.role)
	}
	if pp < want.pairP || pr < want.pairR {
		t.Errorf("Switches, exact pairs: precision %.3f, recall %.3f, want >= %.2f, >= %.2f", pp, pr, want.pairP, want.pairR)
	}
	if np < want.numP || nr < want.numR {
		t.Errorf("Switches, numbers: precision %.3f, recall %.3f, want >= %.2f, >= %.2f", np, nr, want.numP, want.numR)
	}
	if op < want.othersP {
		t.Errorf("Switches, exact pairs outside the ring: precision %.3f, want >= %.2f", op, want.othersP)
	}
}

// switchCount tallies true and found switches by pair and by number.
type switchCount struct {
	truePair, foundPair map[[2]string]bool
	trueNum, foundNum   map[string]bool
}

func (c *switchCount) add(old, new string, truth bool) {
	if c.truePair == nil {
		c.truePair, c.foundPair = make(map[[2]string]bool), make(map[[2]string]bool)
		c.trueNum, c.foundNum = make(map[string]bool), make(map[string]bool)
	}
	p, n := c.foundPair, c.foundNum
	if truth {
		p, n = c.truePair, c.trueNum
	}
	p[[2]string{old, new}] = true
	n["old "+old], n["new "+new] = true, true
}

func (c *switchCount) pairs() (prec, rec float64) { return pr(c.truePair, c.foundPair) }

func (c *switchCount) numbers() (prec, rec float64) { return pr(c.trueNum, c.foundNum) }

func pr[K comparable](truth, found map[K]bool) (prec, rec float64) {
	tp := 0
	for k := range found {
		if truth[k] {
			tp++
		}
	}
	return float64(tp) / float64(max(1, len(found))), float64(tp) / float64(max(1, len(truth)))
}

func TestWorldRing(t *testing.T) {
	testWorldRing(t, loadWorld(t, 2000, 28))
}

func testWorldRing(t *testing.T, w *worldData) {
	g, ev, truth := w.g, w.events, w.truth
	mg, _, newID := g.Merge(ev, g.Switches(SwitchOptions{Fixes: w.Fixes}))
	label := mg.Communities(CommunityOptions{Weighted: true, Seed: 1, Resolution: 2})
	seller, _ := truth.Ring.Member("seller", 0)
	var burners, buyers []string
	roleOf := make(map[uint32]string)
	for _, m := range truth.Ring.Members {
		for _, p := range m.Phones {
			u, ok := g.ID(p.Number)
			if !ok {
				continue
			}
			switch {
			case p.Kind == "burner":
				burners = append(burners, p.Number)
				roleOf[newID[u]] = m.Role
			case m.Role == "buyer" && p.Kind == "mobile":
				buyers = append(buyers, p.Number)
			}
		}
	}
	var sellerBurner uint32
	for _, p := range seller.Phones {
		if u, ok := g.ID(p.Number); ok && p.Kind == "burner" {
			sellerBurner = newID[u]
		}
	}
	c := label[sellerBurner]
	var found []string // the numbers in the seller's community
	var members []uint32
	for u := range mg.Len() {
		if label[u] == c {
			members = append(members, uint32(u))
		}
	}
	for u := range g.Len() {
		if label[newID[u]] == c {
			found = append(found, g.Name(uint32(u)))
		}
	}
	jb := jaccard(found, burners)
	jall := jaccard(found, append(burners, buyers...))
	t.Logf("ring community: %d numbers (%d merged nodes); Jaccard %.3f with the %d burner numbers, %.3f with burners and %d buyers' mobiles",
		len(found), len(members), jb, len(burners), jall, len(buyers))
	if jb < 0.8 || jall < 0.8 {
		t.Errorf("ring community Jaccard = %.3f with the burners, %.3f with burners and buyers, want >= 0.8", jb, jall)
	}
	// Centrality within the community: PageRank on its subgraph, weighted.
	keep := make([]bool, mg.Len())
	for _, u := range members {
		keep[u] = true
	}
	sub, _, old := mg.Subgraph(mgEvents(t, mg, ev, newID), keep)
	wdeg := make([]float64, sub.Len())
	for u := range sub.Len() {
		for i := sub.Off[u]; i < sub.Off[u+1]; i++ {
			wdeg[u] += float64(sub.Pairs[sub.PairOf[i]].Count())
		}
	}
	measures := []struct {
		name string
		v    []float64
	}{
		{"weighted eigenvector", sub.Eigenvector(true)},
		{"weighted PageRank", sub.PageRank(PageRankOptions{Weighted: true})},
		{"PageRank", sub.PageRank(PageRankOptions{})},
		{"weighted degree", wdeg},
		{"betweenness", sub.Betweenness(0, 1, nil)},
	}
	for _, m := range measures {
		top := topRoles(m.v, old, roleOf, 3)
		ok := slices.Contains(top, "seller") && slices.Contains(top, "supplier") &&
			!slices.Contains(top, "courier") && !slices.Contains(top, "")
		t.Logf("top 3 by %s in the ring community: %v (seller and suppliers: %v);%s", m.name, top, ok, roleValues(m.v, old, roleOf))
		if strings.HasPrefix(m.name, "weighted") && top[0] != "seller" {
			t.Errorf("first by %s in the ring community: %q, want the seller", m.name, top[0])
		}
		// Suppliers and couriers make and take about as many contacts (see
		// world/calls.go), so which of them follow the seller is not a
		// given; the suppliers are more in touch with the seller, which
		// eigenvector centrality weighs. It holds on this world; on
		// other seeds it does not always (docs/graph.md).
		if m.name == "weighted eigenvector" && !ok {
			t.Errorf("top 3 by %s in the ring community: %v, want the seller and the two suppliers", m.name, top)
		}
	}
	// One merged node per member who carries burners: every chain of
	// switches was followed to its end, and no two members were merged.
	if len(members) != 6 {
		t.Errorf("ring community has %d merged nodes, want 6 (seller, 2 suppliers, 3 couriers)", len(members))
	}
}

// roleValues shows a measure's values by role, highest first.
func roleValues(v []float64, old []uint32, roleOf map[uint32]string) string {
	order := make([]int, len(v))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(v[b], v[a]) })
	var b strings.Builder
	for _, i := range order {
		fmt.Fprintf(&b, " %s %.3g", cmp.Or(roleOf[old[i]], "other"), v[i])
	}
	return b.String()
}

// topRoles returns the roles of the k nodes ranked highest by v.
func topRoles(v []float64, old []uint32, roleOf map[uint32]string, k int) []string {
	order := make([]int, len(v))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(v[b], v[a]) })
	var top []string
	for _, i := range order[:min(k, len(order))] {
		top = append(top, roleOf[old[i]])
	}
	return top
}

// mgEvents rewrites the events onto the merged graph's ids.
func mgEvents(t *testing.T, mg *Graph, ev []Event, newID []uint32) []Event {
	t.Helper()
	out := make([]Event, len(ev))
	for i, e := range ev {
		out[i] = Event{Caller: newID[e.Caller], Callee: newID[e.Callee], At: e.At, Dur: e.Dur}
	}
	return out
}

func jaccard(a, b []string) float64 {
	in := make(map[string]int)
	for _, x := range a {
		in[x] |= 1
	}
	for _, x := range b {
		in[x] |= 2
	}
	both := 0
	for _, v := range in {
		if v == 3 {
			both++
		}
	}
	return float64(both) / float64(max(1, len(in)))
}
