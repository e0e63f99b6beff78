package resolve

import (
	"slices"
	"testing"
)

// measured is what the accuracy tests assert and log: see docs/resolve.md.
type measured struct {
	blockingRecall float64
	at05, best     Scores
	entity         Scores
	ece            float64
	table          []Bin
}

func measure(t *testing.T, spec Spec, recs []Record, truth Truth) (*Resolver, measured) {
	t.Helper()
	r, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(slices.Values(recs)); err != nil {
		t.Fatal(err)
	}
	var m measured
	tps := truth.Pairs()
	found := 0
	for _, p := range tps {
		if r.Candidate(p[0], p[1]) {
			found++
		}
	}
	m.blockingRecall = float64(found) / float64(len(tps))
	ps := r.Pairs()
	m.at05 = PairScores(ps, truth, 0.5)
	m.best = BestScores(ps, truth)
	m.entity = EntityScores(r.Entities(), truth)
	m.table, m.ece = Reliability(ps, truth, 10)
	t.Logf("blocking recall %.5f (%d of %d true pairs); %d candidate pairs", m.blockingRecall, found, len(tps), r.Stats().CandidatePairs)
	t.Logf("pairs at 0.5:  P %.4f R %.4f F1 %.4f (tp %d fp %d fn %d)", m.at05.Precision, m.at05.Recall, m.at05.F1, m.at05.TP, m.at05.FP, m.at05.FN)
	t.Logf("best (p ≥ %.3g): P %.4f R %.4f F1 %.4f", m.best.Threshold, m.best.Precision, m.best.Recall, m.best.F1)
	t.Logf("entities:      P %.4f R %.4f F1 %.4f", m.entity.Precision, m.entity.Recall, m.entity.F1)
	t.Logf("ECE %.4f over all candidate pairs; reliability:", m.ece)
	for _, b := range m.table {
		if b.Pairs > 0 {
			t.Logf("  [%.1f, %.1f) %6d pairs  predicted %.3f  observed %.3f", b.Lo, b.Hi, b.Pairs, b.MeanPredicted, b.Observed)
		}
	}
	return r, m
}

func TestAccuracyFEBRL(t *testing.T) {
	tests := []struct {
		file          string
		minF1         float64 // at 0.5
		minBlocking   float64
		maxECE        float64
		minEntitiesF1 float64
	}{
		{"dataset1.csv", 0.995, 0.999, 0.03, 0.995},
		{"dataset2.csv", 0.995, 0.999, 0.03, 0.995},
		{"dataset3.csv", 0.995, 0.999, 0.03, 0.995},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs, truth := febrl(t, tt.file, "a")
			_, m := measure(t, febrlSpec(), recs, truth)
			if m.at05.F1 < tt.minF1 {
				t.Errorf("F1 at 0.5 = %.4f, want ≥ %.3f", m.at05.F1, tt.minF1)
			}
			if m.blockingRecall < tt.minBlocking {
				t.Errorf("blocking recall = %.5f, want ≥ %.3f", m.blockingRecall, tt.minBlocking)
			}
			if m.ece > tt.maxECE {
				t.Errorf("ECE = %.4f, want ≤ %.2f", m.ece, tt.maxECE)
			}
			if m.entity.F1 < tt.minEntitiesF1 {
				t.Errorf("entity F1 = %.4f, want ≥ %.3f", m.entity.F1, tt.minEntitiesF1)
			}
		})
	}
}

func TestAccuracyFake1000(t *testing.T) {
	recs, truth := fake1000(t)
	_, m := measure(t, fake1000Spec(), recs, truth)
	if m.at05.F1 < 0.88 {
		t.Errorf("F1 at 0.5 = %.4f, want ≥ 0.88", m.at05.F1)
	}
	if m.best.F1 < 0.88 {
		t.Errorf("best F1 = %.4f, want ≥ 0.88", m.best.F1)
	}
	if m.ece > 0.03 {
		t.Errorf("ECE = %.4f, want ≤ 0.03", m.ece)
	}
	if m.blockingRecall < 0.999 {
		t.Errorf("blocking recall = %.5f, want ≥ 0.999", m.blockingRecall)
	}
}

// febrlLinkage pairs FEBRL dataset 3 with a corrupted copy of itself: a
// record matches its copy and the copies of its duplicates.
func febrlLinkage(t testing.TB) ([]Record, Truth) {
	t.Helper()
	a, ta := febrl(t, "dataset3.csv", "a")
	s := newSynth(3)
	truth := Truth{Entity: map[string]string{}, Dataset: map[string]string{}, Link: true}
	var recs []Record
	for _, r := range a {
		b := Record{ID: "b" + r.ID[1:], Dataset: "b", Fields: s.corrupt(r.Fields)}
		recs = append(recs, r, b)
		truth.Entity[r.ID], truth.Entity[b.ID] = ta.Entity[r.ID], ta.Entity[r.ID]
		truth.Dataset[r.ID], truth.Dataset[b.ID] = "a", "b"
	}
	return recs, truth
}

func TestAccuracyLinkage(t *testing.T) {
	recs, truth := febrlLinkage(t)
	spec := febrlSpec()
	spec.Link = true
	_, m := measure(t, spec, recs, truth)
	// pairs of a duplicate and the copy of another duplicate carry two
	// rounds of errors, so blocking misses a few more than in dataset 3 alone
	if m.at05.F1 < 0.99 || m.blockingRecall < 0.995 || m.ece > 0.03 || m.entity.F1 < 0.99 {
		t.Errorf("linkage: F1 %.4f, blocking recall %.5f, ECE %.4f, entity F1 %.4f; want ≥ 0.99, ≥ 0.995, ≤ 0.03, ≥ 0.99",
			m.at05.F1, m.blockingRecall, m.ece, m.entity.F1)
	}
}
