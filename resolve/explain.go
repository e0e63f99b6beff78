package resolve

import (
	"fmt"
	"strings"

	"github.com/writhq/writ"
)

// Term is one field's contribution to a pair's score.
type Term struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"`
	A      string  `json:"a"` // normalised values compared
	B      string  `json:"b"`
	M      float64 `json:"m"`
	U      float64 `json:"u"`
	Log2BF float64 `json:"log2_bf"` // log2(m/u); 0 when missing
	// TF is the term-frequency adjustment in bits, added to Log2BF when the
	// values agree exactly on a field that uses it.
	TF float64 `json:"tf,omitempty"`
	// Context is evidence in bits from the records each side is firmly
	// linked to, for a field the pair itself lacks: their values disagree
	// (context.go). Via names the two records whose values were compared.
	Context      float64  `json:"context,omitempty"`
	ContextLevel string   `json:"context_level,omitempty"`
	Via          []string `json:"via,omitempty"`
}

// Waterfall explains a pair's match probability: the prior, then each
// field's level and Bayes factor in bits, summed to the final log2 odds.
type Waterfall struct {
	A, B          string
	PriorLog2Odds float64
	Terms         []Term
	Log2Odds      float64
	Probability   float64
}

// Explain returns the waterfall of records a and b.
func (r *Resolver) Explain(a, b string) (Waterfall, error) {
	if r.model == nil {
		return Waterfall{}, writ.Errorf(writ.EConflict, "resolve: no model before Run")
	}
	x, okA := r.d.byID[a]
	y, okB := r.d.byID[b]
	switch {
	case !okA:
		return Waterfall{}, writ.Errorf(writ.ENotFound, "resolve: no record %q", a)
	case !okB:
		return Waterfall{}, writ.Errorf(writ.ENotFound, "resolve: no record %q", b)
	}
	return r.waterfall(x, y), nil
}

func (r *Resolver) waterfall(x, y int32) Waterfall {
	if r.ctxs == nil {
		r.ctxs = newContextScorer(r.links, r.model, r.d)
	}
	ctx := r.ctxs.pairTerms(x, y)
	c := r.cmp
	c.compare(x, y)
	w := Waterfall{A: r.id(x), B: r.id(y), PriorLog2Odds: r.model.PriorLog2Odds, Log2Odds: r.model.PriorLog2Odds}
	for i, l := range c.levels {
		f := &r.model.Fields[i]
		col := r.d.cols[r.d.cmpCol[i]]
		t := Term{Field: f.Field, Level: f.Levels[l], A: col.text(x), B: col.text(y), M: f.M[l], U: f.U[l], Log2BF: f.Weight[l]}
		if f.TF && int(l) == len(f.Weight)-1 {
			t.TF = tfAdjust(r.d, i, x, f)
		}
		if ct := ctx[i]; ct.bits != 0 {
			t.Context, t.ContextLevel, t.Via = ct.bits, f.Levels[ct.level], []string{r.id(ct.a), r.id(ct.b)}
		}
		w.Log2Odds += t.Log2BF + t.TF + t.Context
		w.Terms = append(w.Terms, t)
	}
	w.Probability = probability(w.Log2Odds)
	return w
}

func (c *column) text(r int32) string {
	if id := c.ids[r]; id >= 0 {
		return c.vals[id].s
	}
	return ""
}

// String renders the waterfall as a table, one line per step.
func (w Waterfall) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s ↔ %s\n", w.A, w.B)
	fmt.Fprintf(&b, "  %-16s %-28s %+7.2f bits\n", "prior", "", w.PriorLog2Odds)
	for _, t := range w.Terms {
		vals := fmt.Sprintf("%q / %q", t.A, t.B)
		fmt.Fprintf(&b, "  %-16s %-28s %+7.2f", t.Field, t.Level, t.Log2BF)
		if t.TF != 0 {
			fmt.Fprintf(&b, " %+6.2f tf", t.TF)
		}
		fmt.Fprintf(&b, "   %s", vals)
		if t.Context != 0 {
			fmt.Fprintf(&b, "; context %+.2f: %s %s ↔ %s", t.Context, t.ContextLevel, t.Via[0], t.Via[1])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  %-16s %-28s %+7.2f bits  p = %.4f\n", "total", "", w.Log2Odds, w.Probability)
	return b.String()
}

// EntityExplanation says why records form one entity: the merges that
// built it, in order (each with the waterfall of the pair that triggered it), each
// field's mean contribution over all pairs inside it, and its weakest pair.
type EntityExplanation struct {
	Entity     Entity
	Merges     []MergeExplanation
	FieldBits  map[string]float64 // mean Log2BF+TF+Context over the entity's pairs
	Weakest    *Waterfall
	Confirmed  int // merges forced by a confirmation
	PairsCount int
}

// MergeExplanation is one step in building an entity.
type MergeExplanation struct {
	Merge
	Waterfall Waterfall
}

// maxExplainPairs bounds the pairs summarised for one entity.
const maxExplainPairs = 10_000

// ExplainEntity explains the entity that holds record id.
func (r *Resolver) ExplainEntity(id string) (EntityExplanation, error) {
	e, err := r.EntityOf(id)
	if err != nil {
		return EntityExplanation{}, err
	}
	ex := EntityExplanation{Entity: e, FieldBits: map[string]float64{}}
	in := map[string]bool{}
	for _, rec := range e.Records {
		in[rec] = true
	}
	for _, m := range r.cl.merges {
		if !in[m.A] {
			continue
		}
		w, _ := r.Explain(m.A, m.B)
		ex.Merges = append(ex.Merges, MergeExplanation{Merge: m, Waterfall: w})
		if m.Confirmed {
			ex.Confirmed++
		}
	}
	members := make([]int32, len(e.Records))
	for i, rec := range e.Records {
		members[i] = r.d.byID[rec]
	}
	for i, x := range members {
		for _, y := range members[i+1:] {
			if ex.PairsCount == maxExplainPairs {
				break
			}
			w := r.waterfall(x, y)
			ex.PairsCount++
			for _, t := range w.Terms {
				ex.FieldBits[t.Field] += t.Log2BF + t.TF + t.Context
			}
			if ex.Weakest == nil || w.Log2Odds < ex.Weakest.Log2Odds {
				ex.Weakest = &w
			}
		}
	}
	for f := range ex.FieldBits {
		ex.FieldBits[f] /= float64(max(ex.PairsCount, 1))
	}
	return ex, nil
}
