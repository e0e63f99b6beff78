package resolve

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/writhq/writ"
)

// synthRun resolves n generated records; it needs no shared data.
func synthRun(t *testing.T, n int, ds ...Decision) (*Resolver, []Record, Truth) {
	t.Helper()
	truthIdx := make([]int32, n)
	recs := slices.Collect(newSynth(5).dedupe(n, truthIdx))
	truth := Truth{Entity: map[string]string{}}
	for i, r := range recs {
		truth.Entity[r.ID] = fmt.Sprint(truthIdx[i])
	}
	r, err := New(synthSpec(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Decide(ds...); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(slices.Values(recs)); err != nil {
		t.Fatal(err)
	}
	return r, recs, truth
}

// pairIn returns two records of one entity with at least size records.
func pairIn(t *testing.T, r *Resolver, size int) Entity {
	t.Helper()
	for _, e := range r.Entities() {
		if len(e.Records) >= size {
			return e
		}
	}
	t.Fatalf("no entity of %d records", size)
	return Entity{}
}

func TestDecisionsSurviveReruns(t *testing.T) {
	r, recs, _ := synthRun(t, 1500)
	joined := pairIn(t, r, 2)
	triple := pairIn(t, r, 3)
	// two records of different entities, nothing alike
	var apart [2]string
	for _, e := range r.Entities() {
		if e.ID != joined.ID && e.ID != triple.ID && !slices.Contains(e.Records, recs[0].ID) {
			apart = [2]string{recs[0].ID, e.Records[0]}
			break
		}
	}
	ds := []Decision{
		{Kind: Reject, A: joined.Records[0], B: joined.Records[1]},
		{Kind: Confirm, A: apart[0], B: apart[1]},
		{Kind: Split, Groups: [][]string{triple.Records[:1], triple.Records[1:]}},
	}
	check := func(name string, r *Resolver) {
		t.Helper()
		if r.Same(joined.Records[0], joined.Records[1]) {
			t.Errorf("%s: Same(rejected %v) = true, want false", name, joined.Records[:2])
		}
		if !r.Same(apart[0], apart[1]) {
			t.Errorf("%s: Same(confirmed %v) = false, want true", name, apart)
		}
		for _, x := range triple.Records[1:] {
			if r.Same(triple.Records[0], x) {
				t.Errorf("%s: Same(split %s, %s) = true, want false", name, triple.Records[0], x)
			}
		}
	}
	if err := r.Decide(ds...); err != nil {
		t.Fatal(err)
	}
	check("after Decide", r)

	again, _, _ := synthRun(t, 1500, ds...)
	check("fresh run", again)

	// and for records that arrive later
	inc, err := New(synthSpec(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := inc.Decide(ds...); err != nil {
		t.Fatal(err)
	}
	if err := inc.Run(slices.Values(recs[:1000])); err != nil {
		t.Fatal(err)
	}
	if err := inc.Add(slices.Values(recs[1000:])); err != nil {
		t.Fatal(err)
	}
	check("incremental", inc)
}

func TestDecideConflict(t *testing.T) {
	r, _, _ := synthRun(t, 800)
	e := pairIn(t, r, 2)
	a, b := e.Records[0], e.Records[1]
	if err := r.Decide(Decision{Kind: Reject, A: a, B: b}); err != nil {
		t.Fatal(err)
	}
	err := r.Decide(Decision{Kind: Confirm, A: a, B: b})
	if writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("Decide(confirm after reject) = %v, want a conflict", err)
	}
	if n := len(r.Decisions()); n != 1 {
		t.Errorf("Decisions() after a refused confirmation has %d, want 1", n)
	}
	if r.Same(a, b) {
		t.Errorf("Same(%s, %s) = true after the refused confirmation", a, b)
	}
	for _, bad := range []Decision{{Kind: Confirm, A: a}, {Kind: Split, Groups: [][]string{{a}}}, {Kind: "merge", A: a, B: b}} {
		if err := r.Decide(bad); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("Decide(%+v) = %v, want invalid", bad, err)
		}
	}
}

// TestClusteringResistsChains builds a chain where each record is close to
// its neighbours only: joining along edges alone would make one entity.
func TestClusteringResistsChains(t *testing.T) {
	const n = 20
	var edges []edge
	for i := int32(0); i+1 < n; i++ {
		edges = append(edges, edge{x: i, y: i + 1, lo: 10})
	}
	prob := func(x, y int32) (float64, bool) {
		if x-y == 1 || y-x == 1 {
			return 0.999, true
		}
		return 0.01, true
	}
	c := newClusters(n)
	c.link(edges, 0.5, prob, func(i int32) string { return fmt.Sprint(i) })
	biggest := 0
	for _, m := range c.members {
		biggest = max(biggest, len(m))
	}
	if biggest > 3 {
		t.Errorf("largest cluster of a %d-record chain = %d records, want ≤ 3", n, biggest)
	}
	if len(c.members) < n/3 {
		t.Errorf("chain became %d clusters, want ≥ %d", len(c.members), n/3)
	}
}

func TestIncrementalMatchesBatch(t *testing.T) {
	batch, recs, truth := synthRun(t, 3000)
	inc, err := New(synthSpec(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := inc.Run(slices.Values(recs[:2400])); err != nil {
		t.Fatal(err)
	}
	lambda := inc.Model().Lambda
	if err := inc.Add(slices.Values(recs[2400:])); err != nil {
		t.Fatal(err)
	}
	if inc.Model().Lambda != lambda {
		t.Errorf("Add changed the model's prior from %g to %g", lambda, inc.Model().Lambda)
	}
	if got := inc.Stats().Records; got != 3000 {
		t.Errorf("Stats().Records after Add = %d, want 3000", got)
	}
	fb := EntityScores(batch.Entities(), truth).F1
	fi := EntityScores(inc.Entities(), truth).F1
	t.Logf("entity F1: batch %.4f, incremental %.4f", fb, fi)
	if fi < fb-0.01 || fi < 0.95 {
		t.Errorf("incremental entity F1 = %.4f, want ≥ %.4f and ≥ 0.95", fi, fb-0.01)
	}
	if err := inc.Add(slices.Values(recs[:1])); writ.ErrorKind(err) != writ.EInvalid {
		t.Errorf("Add(duplicate id) = %v, want invalid", err)
	}
}

func TestExplainAddsUp(t *testing.T) {
	r, _, _ := synthRun(t, 1500)
	ps := r.Pairs()
	for _, p := range []Pair{ps[0], ps[len(ps)/2], ps[len(ps)-1]} {
		w, err := r.Explain(p.A, p.B)
		if err != nil {
			t.Fatal(err)
		}
		sum := w.PriorLog2Odds
		for _, term := range w.Terms {
			sum += term.Log2BF + term.TF + term.Context
			if term.Level == "missing" && term.Log2BF != 0 {
				t.Errorf("Explain(%s, %s): missing %s weighs %v, want 0", p.A, p.B, term.Field, term.Log2BF)
			}
		}
		if math.Abs(sum-w.Log2Odds) > 1e-9 || math.Abs(w.Log2Odds-p.Log2Odds) > 1e-9 {
			t.Errorf("Explain(%s, %s): terms sum to %v, total %v, scored %v; want all equal", p.A, p.B, sum, w.Log2Odds, p.Log2Odds)
		}
		if len(w.Terms) != len(synthSpec(false).Comparisons) || w.String() == "" {
			t.Errorf("Explain(%s, %s) has %d terms, want one per comparison", p.A, p.B, len(w.Terms))
		}
	}
	e := pairIn(t, r, 2)
	ex, err := r.ExplainEntity(e.Records[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Merges) != len(e.Records)-1 || ex.Weakest == nil || ex.PairsCount != len(e.Records)*(len(e.Records)-1)/2 {
		t.Errorf("ExplainEntity(%s) = %d merges, %d pairs; want %d, %d", e.ID, len(ex.Merges), ex.PairsCount, len(e.Records)-1, len(e.Records)*(len(e.Records)-1)/2)
	}
	if _, err := r.Explain("nobody", e.Records[0]); writ.ErrorKind(err) != writ.ENotFound {
		t.Errorf("Explain(unknown) = %v, want not found", err)
	}
}

// TestTermFrequency checks a shared rare value is worth more than a shared
// common one.
func TestTermFrequency(t *testing.T) {
	r, _, _ := synthRun(t, 1500)
	f := &r.Model().Fields[1] // surname
	col := r.d.cols[r.d.cmpCol[1]]
	var rare, common int32 = -1, -1
	for i, id := range col.ids {
		if id < 0 {
			continue
		}
		if col.count[id] == 2 && rare < 0 {
			rare = int32(i)
		}
		if common < 0 || col.count[id] > col.count[col.ids[common]] {
			common = int32(i)
		}
	}
	if rare < 0 || col.count[col.ids[common]] <= 2 {
		t.Fatal("no surname held twice, or none more often")
	}
	ra, co := tfAdjust(r.d, 1, rare, f), tfAdjust(r.d, 1, common, f)
	want := math.Log2(float64(col.count[col.ids[common]]) / 2)
	if math.Abs(ra-co-want) > 1e-9 {
		t.Errorf("tfAdjust(surname ×2) - tfAdjust(surname ×%d) = %.3f bits, want %.3f", col.count[col.ids[common]], ra-co, want)
	}
}

func TestEvaluation(t *testing.T) {
	truth := Truth{Entity: map[string]string{"a": "1", "b": "1", "c": "1", "d": "2"}}
	pairs := []Pair{
		{A: "a", B: "b", Probability: 0.9, Log2Odds: 3},
		{A: "a", B: "d", Probability: 0.6, Log2Odds: 1},
		{A: "b", B: "c", Probability: 0.2, Log2Odds: -2},
	}
	s := PairScores(pairs, truth, 0.5)
	if s.TP != 1 || s.FP != 1 || s.FN != 2 {
		t.Errorf("PairScores(0.5) = tp %d fp %d fn %d, want 1 1 2", s.TP, s.FP, s.FN)
	}
	// at 0.2 all three are predicted: tp 2 fp 1 fn 1, F1 2/3; at 0.9, F1 1/2
	if b := BestScores(pairs, truth); b.Threshold != 0.2 || math.Abs(b.F1-2.0/3) > 1e-9 {
		t.Errorf("BestScores = %+v, want threshold 0.2, F1 2/3", b)
	}
	tab, ece := Reliability(pairs, truth, 10)
	want := (math.Abs(0.9-1) + math.Abs(0.6-0) + math.Abs(0.2-1)) / 3
	if math.Abs(ece-want) > 1e-9 || tab[9].Pairs != 1 {
		t.Errorf("Reliability ECE = %v, want %v", ece, want)
	}
	es := EntityScores([]Entity{{Records: []string{"a", "b", "c"}}, {Records: []string{"d"}}}, truth)
	if es.F1 != 1 {
		t.Errorf("EntityScores(perfect) F1 = %v, want 1", es.F1)
	}
}

func TestBeforeRun(t *testing.T) {
	r, err := New(synthSpec(false))
	if err != nil {
		t.Fatal(err)
	}
	if ps, es := r.Pairs(), r.Entities(); ps != nil || es != nil {
		t.Errorf("Pairs(), Entities() before Run = %v, %v, want nil", ps, es)
	}
	if r.Same("a", "b") || r.Candidate("a", "b") {
		t.Error("Same or Candidate before Run = true, want false")
	}
	if _, err := r.Explain("a", "b"); writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("Explain before Run = %v, want conflict", err)
	}
	if _, err := r.EntityOf("a"); writ.ErrorKind(err) != writ.ENotFound {
		t.Errorf("EntityOf before Run = %v, want not found", err)
	}
	if err := r.Add(slices.Values([]Record{{ID: "a"}})); writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("Add before Run = %v, want conflict", err)
	}
	if err := r.Run(slices.Values([]Record{{ID: "a"}})); writ.ErrorKind(err) != writ.EInvalid {
		t.Errorf("Run(one record) = %v, want invalid", err)
	}
}
