package resolve

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// slotEntry puts a record in the block of one blocking-key value.
type slotEntry struct {
	h uint64
	r int32
}

// index holds every record's blocking-key values sorted by value, so each
// block is a run; records added after it was built go to extra.
type index struct {
	entries []slotEntry
	runs    []run
	extra   map[uint64][]int32
}

type run struct{ lo, hi int32 }

func (d *data) buildIndex() *index {
	ix := &index{entries: make([]slotEntry, 0, len(d.slots)), extra: map[uint64][]int32{}}
	for r := int32(0); r < int32(d.n()); r++ {
		for _, h := range d.slotsOf(r) {
			ix.entries = append(ix.entries, slotEntry{h, r})
		}
	}
	slices.SortFunc(ix.entries, func(a, b slotEntry) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.r, b.r)
	})
	for lo := 0; lo < len(ix.entries); {
		hi := lo + 1
		for hi < len(ix.entries) && ix.entries[hi].h == ix.entries[lo].h {
			hi++
		}
		if hi-lo > 1 {
			ix.runs = append(ix.runs, run{int32(lo), int32(hi)})
		}
		lo = hi
	}
	return ix
}

// block returns the records sharing key value h, in index order then added order.
func (ix *index) block(h uint64, dst []int32) []int32 {
	i, _ := slices.BinarySearchFunc(ix.entries, h, func(e slotEntry, h uint64) int { return cmp.Compare(e.h, h) })
	for ; i < len(ix.entries) && ix.entries[i].h == h; i++ {
		dst = append(dst, ix.entries[i].r)
	}
	return append(dst, ix.extra[h]...)
}

// firstShared reports whether h is the first blocking value (in spec order)
// that x and y share, so each candidate pair is produced by one block only.
func (d *data) firstShared(x, y int32, h uint64) bool {
	ys := d.slotsOf(y)
	for _, s := range d.slotsOf(x) {
		if s == h {
			return true
		}
		if slices.Contains(ys, s) {
			return false
		}
	}
	return true
}

// comparable reports whether x and y may be a candidate pair at all.
func (d *data) comparable(x, y int32) bool {
	return !d.spec.Link || d.dataset[x] != d.dataset[y]
}

// blockStats counts what blocking would produce before comparing anything.
func (d *data) blockStats(ix *index) (upper int64, skipped int) {
	maxB := d.spec.MaxBlock
	for _, rn := range ix.runs {
		s := int64(rn.hi - rn.lo)
		if maxB > 0 && s > int64(maxB) {
			skipped++
			continue
		}
		upper += s * (s - 1) / 2
	}
	return upper, skipped
}

// forPairs calls fn for every candidate pair of the runs keep selects, on
// all cores; fn gets its worker's number so it can use unshared state.
func (d *data) forPairs(ix *index, keep func(h uint64) bool, fn func(w int, x, y int32)) int {
	workers := runtime.GOMAXPROCS(0)
	maxB := d.spec.MaxBlock
	var next atomic.Int64
	var wg sync.WaitGroup
	const chunk = 256
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(ix.runs) {
					return
				}
				for _, rn := range ix.runs[lo:min(lo+chunk, len(ix.runs))] {
					if maxB > 0 && int(rn.hi-rn.lo) > maxB {
						continue
					}
					h := ix.entries[rn.lo].h
					if keep != nil && !keep(h) {
						continue
					}
					es := ix.entries[rn.lo:rn.hi]
					for i := range es {
						x := es[i].r
						for _, e := range es[i+1:] {
							y := e.r
							if d.comparable(x, y) && d.firstShared(x, y, h) {
								fn(w, x, y)
							}
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	return workers
}

func runtimeWorkers() int { return runtime.GOMAXPROCS(0) }
