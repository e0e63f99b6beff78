package resolve

import "github.com/writhq/writ"

// DecisionKind is what an investigator decided about records.
type DecisionKind string

const (
	// Confirm: A and B are the same entity, whatever the scores say.
	Confirm DecisionKind = "confirm"
	// Reject: A and B are never in the same entity.
	Reject DecisionKind = "reject"
	// Split: no record of one group shares an entity with a record of another.
	Split DecisionKind = "split"
)

// Decision is an investigator's ruling, kept as a constraint that every
// later run and every incremental addition obeys.
type Decision struct {
	Kind   DecisionKind `json:"kind"`
	A      string       `json:"a,omitempty"`
	B      string       `json:"b,omitempty"`
	Groups [][]string   `json:"groups,omitempty"`
}

func (dc Decision) validate() error {
	switch dc.Kind {
	case Confirm, Reject:
		if dc.A == "" || dc.B == "" || dc.A == dc.B {
			return writ.Errorf(writ.EInvalid, "resolve: %s needs two different records", dc.Kind)
		}
	case Split:
		if len(dc.Groups) < 2 {
			return writ.Errorf(writ.EInvalid, "resolve: split needs at least two groups")
		}
	default:
		return writ.Errorf(writ.EInvalid, "resolve: unknown decision %q", dc.Kind)
	}
	return nil
}

// constraints turns decisions into must- and cannot-link pairs of the
// records present; decisions about absent records wait for them.
func (d *data) constraints(ds []Decision) (musts, cannots [][2]int32) {
	get := func(id string) (int32, bool) { i, ok := d.byID[id]; return i, ok }
	for _, dc := range ds {
		switch dc.Kind {
		case Confirm, Reject:
			a, okA := get(dc.A)
			b, okB := get(dc.B)
			if !okA || !okB {
				continue
			}
			if dc.Kind == Confirm {
				musts = append(musts, [2]int32{a, b})
			} else {
				cannots = append(cannots, [2]int32{a, b})
			}
		case Split:
			for gi, g := range dc.Groups {
				for _, h := range dc.Groups[gi+1:] {
					for _, x := range g {
						for _, y := range h {
							a, okA := get(x)
							b, okB := get(y)
							if okA && okB {
								cannots = append(cannots, [2]int32{a, b})
							}
						}
					}
				}
			}
		}
	}
	return musts, cannots
}
