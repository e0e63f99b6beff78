// Package graph analyses contact metadata (who called whom, when, for how
// long) as a compact graph: numbers are interned to dense ids and the
// undirected contact graph is held in CSR arrays, with one aggregate per
// pair of parties.
//
// The package is pure: it takes contact events as plain Go values and returns
// results. Whoever calls it has already read the events under a grant; the
// package helps keep the analysis inside that grant with Scope (targets named
// by the authority and their direct contacts) and Pseudonymize (stable,
// keyed tokens for numbers that are not targets), and suppresses hub
// numbers (voicemail, call centres) when it expands around a target.
package graph
