package resolve

import (
	"iter"
	"slices"
	"sort"
	"time"

	"github.com/writhq/writ"
)

// Resolver links records into entities and keeps what it needs to explain,
// revise and extend its answer: the compiled records, the blocking index,
// the model, the scored pairs and the investigators' decisions.
type Resolver struct {
	spec      Spec
	d         *data
	ix        *index
	model     *Model
	cl        *clusters
	edges     []edge // kept scored pairs
	decisions []Decision
	stats     Stats
	cmp       *comparer      // for on-demand scoring; single-threaded use only
	links     *links         // strong links, for context evidence
	ctxs      *contextScorer // for on-demand explanations; single-threaded use only
}

// Stats describes a run.
type Stats struct {
	Records        int           `json:"records"`
	BlockPairs     int64         `json:"block_pairs"`     // pairs in blocks, counting repeats across keys
	CandidatePairs int64         `json:"candidate_pairs"` // distinct pairs compared
	SkippedBlocks  int           `json:"skipped_blocks"`
	TrainPairs     int64         `json:"train_pairs"`
	Patterns       int           `json:"patterns"`
	Kept           int           `json:"kept"`
	Entities       int           `json:"entities"`
	Compile        time.Duration `json:"compile"`
	Block          time.Duration `json:"block"`
	U              time.Duration `json:"u"`     // random pairs for u
	Train          time.Duration `json:"train"` // candidate patterns and EM
	Score          time.Duration `json:"score"`
	Context        time.Duration `json:"context"` // context evidence (context.go)
	Cluster        time.Duration `json:"cluster"`
}

// Pair is a scored candidate pair.
type Pair struct {
	A           string  `json:"a"`
	B           string  `json:"b"`
	Log2Odds    float64 `json:"log2_odds"`
	Probability float64 `json:"probability"`
}

// Entity is a set of records judged to be one person (or phone, vehicle...).
// Its ID is its smallest record id, so it is stable while that record stays.
type Entity struct {
	ID      string   `json:"id"`
	Records []string `json:"records"`
}

// New returns a resolver for spec.
func New(spec Spec) (*Resolver, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	return &Resolver{spec: spec}, nil
}

// Decide records investigators' decisions. Before Run they constrain it;
// after, the entities are rebuilt from the scored pairs under all decisions
// so far (no retraining). A confirmation that contradicts a rejection is a
// conflict and is not kept.
func (r *Resolver) Decide(ds ...Decision) error {
	for _, dc := range ds {
		if err := dc.validate(); err != nil {
			return err
		}
	}
	prev := r.decisions
	r.decisions = append(slices.Clip(r.decisions), ds...)
	if r.d == nil {
		return nil
	}
	if err := r.recluster(); err != nil {
		r.decisions = prev
		if e := r.recluster(); e != nil {
			return e
		}
		return err
	}
	return nil
}

// Decisions returns the decisions in force.
func (r *Resolver) Decisions() []Decision { return slices.Clone(r.decisions) }

// Run compiles the records, blocks, trains the model by EM, scores the
// candidate pairs and clusters them into entities. Records are read once.
func (r *Resolver) Run(records iter.Seq[Record]) error {
	if r.d != nil {
		return writ.Errorf(writ.EConflict, "resolve: already run; use Add for new records")
	}
	start := time.Now()
	d := newData(&r.spec)
	for rec := range records {
		if err := d.add(rec); err != nil {
			return err
		}
	}
	if d.n() < 2 {
		return writ.Errorf(writ.EInvalid, "resolve: need at least two records, have %d", d.n())
	}
	r.d, r.cmp = d, newComparer(d)
	r.stats = Stats{Records: d.n(), Compile: time.Since(start)}

	t := time.Now()
	r.ix = d.buildIndex()
	upper, skipped := d.blockStats(r.ix)
	r.stats.BlockPairs, r.stats.SkippedBlocks = upper, skipped
	r.stats.Block = time.Since(t)

	tr := r.train()
	r.scoreCandidates(tr)
	t = time.Now()
	r.links = newLinks(r.edges, r.spec.threshold())
	r.applyContext(r.edges)
	r.stats.Context = time.Since(t)
	return r.recluster()
}

// recluster rebuilds the entities from the kept pairs under the decisions.
func (r *Resolver) recluster() error {
	t := time.Now()
	cl := newClusters(r.d.n())
	musts, cannots := r.d.constraints(r.decisions)
	if err := cl.constrain(musts, cannots, r.id); err != nil {
		return err
	}
	cl.link(r.edges, r.spec.threshold(), r.prob, r.id)
	r.cl = cl
	r.stats.Entities = len(cl.members)
	r.stats.Cluster = time.Since(t)
	return nil
}

func (r *Resolver) id(i int32) string { return r.d.ids[i] }

// prob scores any pair the run may form, on demand.
func (r *Resolver) prob(x, y int32) (float64, bool) {
	if !r.d.comparable(x, y) {
		return 0, false
	}
	return probability(r.score(x, y)), true
}

// score is the log2 odds of any pair.
func (r *Resolver) score(x, y int32) float64 {
	r.cmp.compare(x, y)
	return r.model.log2Odds(r.cmp, x)
}

// Add resolves new records against the existing entities without
// retraining: each is blocked against the index, scored with the trained
// model and linked by the same rule as Run. Old pairs keep their own
// scores; only their context evidence is updated when one of their
// records gains a strong link, and if that undoes a link inside an entity
// the entities are rebuilt.
func (r *Resolver) Add(records iter.Seq[Record]) error {
	if r.d == nil {
		return writ.Errorf(writ.EConflict, "resolve: Add before Run")
	}
	floor := r.spec.keepFrom()
	var fresh []edge
	seen := map[int32]bool{}
	var buf []int32
	for rec := range records {
		if err := r.d.add(rec); err != nil {
			return err
		}
		x := int32(r.d.n() - 1)
		clear(seen)
		for _, h := range r.d.slotsOf(x) {
			buf = r.ix.block(h, buf[:0])
			if mb := r.spec.MaxBlock; mb > 0 && len(buf)+1 > mb {
				continue
			}
			for _, y := range buf {
				if seen[y] || !r.d.comparable(x, y) {
					continue
				}
				seen[y] = true
				if lo := r.score(y, x); probability(lo) >= floor {
					fresh = append(fresh, edge{x: y, y: x, lo: lo})
				}
			}
			r.ix.extra[h] = append(r.ix.extra[h], x)
		}
		r.stats.CandidatePairs += int64(len(seen))
	}
	r.stats.Records = r.d.n()
	start := len(r.edges)
	r.edges = append(r.edges, fresh...)
	r.stats.Kept = len(r.edges)
	// the new pairs, and the old ones whose records gained a strong link,
	// take their context evidence from the links as they are now
	changed := r.links.add(fresh)
	var touched []int
	for k, e := range r.edges {
		_, cx := slices.BinarySearch(changed, e.x)
		_, cy := slices.BinarySearch(changed, e.y)
		if k >= start || cx || cy {
			touched = append(touched, k)
		}
	}
	batch := make([]edge, len(touched))
	for i, k := range touched {
		batch[i] = r.edges[k]
	}
	r.applyContext(batch)
	// an old link that no longer holds may have joined two entities: then
	// the entities are rebuilt, as after a decision
	thr := r.spec.threshold()
	r.cl.grow(r.d.n())
	rebuild := false
	for i, k := range touched {
		old := r.edges[k]
		r.edges[k] = batch[i]
		rebuild = rebuild || k < start && old.p() >= thr && batch[i].p() < thr && r.cl.find(old.x) == r.cl.find(old.y)
	}
	if rebuild {
		return r.recluster()
	}
	musts, cannots := r.d.constraints(r.decisions)
	if err := r.cl.constrain(musts, cannots, r.id); err != nil {
		return err
	}
	r.cl.link(batch, thr, r.prob, r.id)
	r.stats.Entities = len(r.cl.members)
	return nil
}

// Model returns the trained model.
func (r *Resolver) Model() *Model { return r.model }

// Stats returns counts and timings of the run so far.
func (r *Resolver) Stats() Stats { return r.stats }

// Pairs returns the kept scored pairs, best first.
func (r *Resolver) Pairs() []Pair {
	if r.d == nil {
		return nil
	}
	out := make([]Pair, len(r.edges))
	for i, e := range r.edges {
		out[i] = Pair{A: r.id(e.x), B: r.id(e.y), Probability: e.p(), Log2Odds: e.lo}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Log2Odds > out[j].Log2Odds })
	return out
}

// Entities returns every entity, records sorted, ordered by id.
func (r *Resolver) Entities() []Entity {
	if r.d == nil {
		return nil
	}
	out := make([]Entity, 0, len(r.cl.members))
	for _, ms := range r.cl.members {
		out = append(out, r.entity(ms))
	}
	slices.SortFunc(out, func(a, b Entity) int { return compareStrings(a.ID, b.ID) })
	return out
}

func (r *Resolver) entity(ms []int32) Entity {
	e := Entity{Records: make([]string, len(ms))}
	for i, m := range ms {
		e.Records[i] = r.id(m)
	}
	slices.Sort(e.Records)
	e.ID = e.Records[0]
	return e
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// EntityOf returns the entity holding record id.
func (r *Resolver) EntityOf(id string) (Entity, error) {
	if r.d == nil {
		return Entity{}, writ.Errorf(writ.ENotFound, "resolve: no record %q before Run", id)
	}
	i, ok := r.d.byID[id]
	if !ok {
		return Entity{}, writ.Errorf(writ.ENotFound, "resolve: no record %q", id)
	}
	return r.entity(r.cl.members[r.cl.find(i)]), nil
}

// Same reports whether two records are in one entity.
func (r *Resolver) Same(a, b string) bool {
	if r.d == nil {
		return false
	}
	x, okA := r.d.byID[a]
	y, okB := r.d.byID[b]
	return okA && okB && r.cl.find(x) == r.cl.find(y)
}
