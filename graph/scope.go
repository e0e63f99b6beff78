package graph

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
)

// Scope marks the targets and their direct contacts: the part of the graph
// an authority naming these targets lets an analysis see. Hub contacts are
// in scope (the target did call voicemail) but are not followed further.
func (g *Graph) Scope(targets []uint32) []bool {
	in := make([]bool, g.Len())
	for _, t := range targets {
		in[t] = true
		for _, v := range g.Neighbors(t) {
			in[v] = true
		}
	}
	return in
}

// Subgraph returns the graph induced by the nodes keep marks, with the
// events among them, and the old id of each new node. Analyses of the
// result cannot see anything outside keep.
func (g *Graph) Subgraph(events []Event, keep []bool) (*Graph, []Event, []uint32) {
	newID := make([]uint32, g.Len())
	b := NewBuilder(0)
	var old []uint32
	for u, k := range keep {
		if k {
			newID[u] = b.ID(g.names[u])
			old = append(old, uint32(u))
		}
	}
	for _, e := range events {
		if keep[e.Caller] && keep[e.Callee] {
			b.AddEvent(Event{Caller: newID[e.Caller], Callee: newID[e.Callee], At: e.At, Dur: e.Dur})
		}
	}
	return b.Build(), b.events, old
}

// Pseudonymize returns a stable token for id under key: the same key and
// id always give the same token, and without the key the token says
// nothing about the number. It is HMAC-SHA-256, truncated to 80 bits and
// written in lower-case base32 behind "ps-".
func Pseudonymize(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	sum := m.Sum(nil)
	return "ps-" + lowerB32.EncodeToString(sum[:10])
}

var lowerB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Labels returns the name to show for each node: the number itself for
// targets (reveal true), a pseudonym under key for everyone else.
func (g *Graph) Labels(key []byte, reveal []bool) []string {
	out := make([]string, g.Len())
	for u, name := range g.names {
		if reveal != nil && reveal[u] {
			out[u] = name
		} else {
			out[u] = Pseudonymize(key, name)
		}
	}
	return out
}
