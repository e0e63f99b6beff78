// Package resolve links records about the same person (or phone, vehicle,
// address) into entities, and says why, how sure it is, and how to undo it.
//
// It is pure: records come in as plain values, and pairs, entities and
// explanations go out; the store, API and decisions ledger are wired on top.
// A run blocks records on several keys (Double Metaphone among them),
// compares candidate pairs field by field into levels, weighs each level by
// Fellegi–Sunter (m by EM without labels, u from random pairs, term
// frequencies for exact agreement), clusters pairs into entities without
// chaining, and obeys investigators' decisions on every run. A Resolver is
// not safe for concurrent use. docs/resolve.md has the method and the
// measured accuracy, calibration and speed.
package resolve
