package api

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/graph"
	"github.com/writhq/writ/scope"
)

// Communications analysis (issue 6). Every endpoint is one read through the
// scope gate under an authority covering comms: the contacts the store
// returns under the grant (those where the caller or the callee is a granted
// number, inside the window) are built into a graph, scoped to the targets
// and their direct contacts, and analysed. Parties the authority does not
// name are shown only as pseudonyms, stable per authority; finding who holds
// a number is a separate records read. The audit entry carries the number
// of contact rows the analysis was built from.

// commsParty is a party as a response shows it: the number for a party the
// authority names, a pseudonym ("ps-...") for anyone else.
type commsView struct {
	g       *graph.Graph
	events  []graph.Event
	labels  []string
	reveal  []bool   // the authority names this number
	target  []bool   // a granted number (a selector of this read)
	targets []uint32 // granted numbers present in the graph, in grant order
	tnames  []string // every granted number, in grant order
	hubRule graph.HubRule
	hubs    []bool
	rows    int
	// handsets are the IMEIs each number called from, as the contacts
	// give them (caller_device); burner-switch analysis may read their
	// pings under a location authority.
	handsets map[string][]string
}

// CommsPair is what two parties' contacts add up to, seen from A.
type CommsPair struct {
	A         string    `json:"a"`
	B         string    `json:"b"`
	Count     int       `json:"count"`
	FromA     int       `json:"from_a"`
	ToA       int       `json:"to_a"`
	DurationS int64     `json:"duration_s"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Direction string    `json:"direction"` // who usually starts: a, b or both
}

// CommsSummary is the pairs in contact and the contact-frequency matrix
// among the targets: Matrix[i][j] counts contacts from Targets[i] to Targets[j].
type CommsSummary struct {
	Grant    GrantInfo   `json:"grant"`
	Contacts int         `json:"contacts"` // contact rows read under the grant
	Parties  int         `json:"parties"`
	Targets  []string    `json:"targets"`
	Matrix   [][]int     `json:"matrix"`
	Pairs    []CommsPair `json:"pairs"`
}

// CommsCommon is a party in contact with several targets.
type CommsCommon struct {
	Party   string   `json:"party"`
	Targets []string `json:"targets"` // the targets it was in contact with
	Count   int      `json:"count"`   // contacts with them, in total
	Hub     bool     `json:"hub"`
}

// CommsCommonResult lists the common contacts of the targets.
type CommsCommonResult struct {
	Grant    GrantInfo     `json:"grant"`
	Contacts int           `json:"contacts"`
	Min      int           `json:"min_targets"`
	Common   []CommsCommon `json:"common"`
}

// CommsReached is a party found by a k-hop expansion.
type CommsReached struct {
	Party  string `json:"party"`
	Hop    int    `json:"hop"`
	Target bool   `json:"target"`
	Hub    bool   `json:"hub"` // listed, but its contacts were not followed
}

// CommsExpansion is a k-hop expansion from the seeds, hubs suppressed.
type CommsExpansion struct {
	Grant    GrantInfo      `json:"grant"`
	Contacts int            `json:"contacts"`
	K        int            `json:"k"`
	Seeds    []string       `json:"seeds"`
	Reached  []CommsReached `json:"reached"`
}

// CommsPath is a shortest path (fewest hops, not through hubs).
type CommsPath struct {
	Grant    GrantInfo `json:"grant"`
	Contacts int       `json:"contacts"`
	A        string    `json:"a"`
	B        string    `json:"b"`
	Found    bool      `json:"found"`
	Hops     int       `json:"hops"`
	Path     []string  `json:"path"`
}

// CommsCommunity is one community of the granted graph.
type CommsCommunity struct {
	ID      int      `json:"id"`
	Size    int      `json:"size"`
	Targets []string `json:"targets"`
	Members []string `json:"members"`
}

// CommsCommunities is the communities of the granted graph, largest first.
type CommsCommunities struct {
	Grant       GrantInfo        `json:"grant"`
	Contacts    int              `json:"contacts"`
	Modularity  float64          `json:"modularity"`
	Communities []CommsCommunity `json:"communities"`
}

// CommsCentral is one party's centrality.
type CommsCentral struct {
	Party       string  `json:"party"`
	Target      bool    `json:"target"`
	Hub         bool    `json:"hub"`
	Degree      int     `json:"degree"`
	PageRank    float64 `json:"pagerank"`
	Eigenvector float64 `json:"eigenvector"` // weighted by contact counts, largest 1
	Betweenness float64 `json:"betweenness"`
}

// CommsCentrality ranks the parties of the granted graph by PageRank.
type CommsCentrality struct {
	Grant    GrantInfo      `json:"grant"`
	Contacts int            `json:"contacts"`
	Parties  []CommsCentral `json:"parties"`
}

// CommsActivityOf is one party's contacts by weekday (0 = Sunday) and UTC hour.
type CommsActivityOf struct {
	Party  string     `json:"party"`
	Total  int        `json:"total"`
	Counts [7][24]int `json:"counts"`
}

// CommsActivity is hour × weekday activity of parties.
type CommsActivity struct {
	Grant    GrantInfo         `json:"grant"`
	Contacts int               `json:"contacts"`
	Parties  []CommsActivityOf `json:"parties"`
}

// CommsSwitch is a burner-switch candidate: Old went silent and New took
// over its contacts.
type CommsSwitch struct {
	Old       string  `json:"old"`
	New       string  `json:"new"`
	OldTarget bool    `json:"old_target"`
	NewTarget bool    `json:"new_target"`
	Score     float64 `json:"score"`
	Shared    int     `json:"shared"`
}

// CommsSwitches lists burner-switch candidates involving a target.
type CommsSwitches struct {
	Grant     GrantInfo        `json:"grant"`
	Contacts  int              `json:"contacts"`
	Switches  []CommsSwitch    `json:"switches"`
	Locations *SwitchLocations `json:"locations,omitempty"`
}

// SwitchLocations says what location evidence a switch analysis used: the
// handsets the contacts named, how many of them the location authority
// names (and so were read), and their pings.
type SwitchLocations struct {
	AuthorityID int64      `json:"authority_id"`
	Grant       *GrantInfo `json:"grant,omitempty"`
	Handsets    int        `json:"handsets"`
	Read        int        `json:"read"`
	Pings       int        `json:"pings"`
}

func (s *Server) routeComms() {
	s.authed("GET /api/cases/{id}/comms/summary", s.handleCommsSummary)
	s.authed("GET /api/cases/{id}/comms/common", s.handleCommsCommon)
	s.authed("GET /api/cases/{id}/comms/expand", s.handleCommsExpand)
	s.authed("GET /api/cases/{id}/comms/path", s.handleCommsPath)
	s.authed("GET /api/cases/{id}/comms/communities", s.handleCommsCommunities)
	s.authed("GET /api/cases/{id}/comms/centrality", s.handleCommsCentrality)
	s.authed("GET /api/cases/{id}/comms/activity", s.handleCommsActivity)
	s.authed("GET /api/cases/{id}/comms/switches", s.handleCommsSwitches)
	s.authed("GET /api/cases/{id}/comms/export", s.handleCommsExport)
}

// commsRun analyses a granted graph; it returns what to send.
type commsRun func(v *commsView, gi GrantInfo) (any, error)

// commsParams are the parameters each analysis takes beside a read's.
var commsParams = map[string][]string{
	"summary":     {"party"},
	"common":      {"min"},
	"expand":      {"k", "seed"},
	"path":        {"a", "b"},
	"communities": {"resolution", "weighted", "seed_rng"},
	"centrality":  {"top", "samples"},
	"activity":    {"party"},
	"switches":    {"location_authority"},
	"export":      {"format", "communities"},
}

// serveComms runs one analysis: it splits the analysis parameters from the
// read's, has prepare check them, reads every contact under the grant in
// one gate.Read, and sends the result once the read is recorded.
func (s *Server) serveComms(w http.ResponseWriter, r *http.Request, c *caller, name string,
	prepare func(p url.Values) (commsRun, error)) (any, error) {
	caseID, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	all, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "bad query string (escape ';' as %%3B): %v", err)
	}
	p := url.Values{}
	for _, k := range slices.Concat(commsParams[name], []string{"hub_min", "hub_factor"}) {
		if v, ok := all[k]; ok {
			p[k] = v
			delete(all, k)
		}
	}
	for _, k := range []string{"limit", "after", "area"} {
		if all.Has(k) {
			return nil, writ.Errorf(writ.EInvalid, "%s does not apply to a comms analysis, which reads every contact under the grant", k)
		}
	}
	q, err := parseReadQuery(all.Encode())
	if err != nil {
		return nil, err
	}
	hubMin, err := intParam(p, "hub_min", 0, 1, 1<<30)
	if err != nil {
		return nil, err
	}
	hubFactor := 0.0
	if f := p.Get("hub_factor"); f != "" {
		if hubFactor, err = strconv.ParseFloat(f, 64); err != nil || !(hubFactor > 0 && hubFactor <= 1000) {
			return nil, writ.Errorf(writ.EInvalid, "hub_factor must be a number in (0, 1000]")
		}
	}
	run, err := prepare(p)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := s.defaultWindow(ctx, &q); err != nil {
		return nil, err
	}
	key, err := s.pseudonymKey(q.AuthorityID)
	if err != nil {
		return nil, err
	}
	req := scope.Request{UserID: c.user.ID, CaseID: caseID, AuthorityID: q.AuthorityID, Category: writ.CatComms,
		Selectors: q.Selectors, From: q.From, To: q.To, Purpose: q.Purpose, Action: "read.comms." + name}
	var out any
	err = s.gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
		v, err := s.commsGraph(ctx, g, key)
		if err != nil {
			return 0, err
		}
		v.hubRule = graph.HubRule{MinDegree: hubMin, Factor: hubFactor}
		v.hubs = v.g.Hubs(v.hubRule)
		out, err = run(v, grantInfo(g))
		return v.rows, err
	})
	return out, err
}

// pseudonymKey is the per-authority key non-target numbers are masked with.
// Without one the server refuses comms analyses rather than show numbers.
func (s *Server) pseudonymKey(authority int64) ([]byte, error) {
	k, ok := s.audit.(interface{ PseudonymKey(int64) []byte })
	if !ok || k == nil {
		return nil, writ.Errorf(writ.EInternal, "no pseudonym key: comms analysis unavailable")
	}
	return k.PseudonymKey(authority), nil
}

// commsGraph reads every contact under g and builds the graph of the
// granted numbers and their direct contacts.
func (s *Server) commsGraph(ctx context.Context, g *writ.Grant, key []byte) (*commsView, error) {
	b := graph.NewBuilder(0)
	handsets := map[string][]string{}
	rows, err := eachPage(ctx, g, s.store.Contacts, func(c writ.Contact) int64 { return c.ID }, func(page []writ.Contact) {
		for _, c := range page {
			b.Add(c.Caller, c.Callee, c.StartedAt.Unix(), int32(c.DurationSec))
			if c.CallerDevice != "" && !slices.Contains(handsets[c.Caller], c.CallerDevice) {
				handsets[c.Caller] = append(handsets[c.Caller], c.CallerDevice)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	full := b.Build()
	tnames := g.SelectorValues(writ.SelPhone)
	var seeds []uint32
	for _, t := range tnames {
		if u, ok := full.ID(t); ok {
			seeds = append(seeds, u)
		}
	}
	// The store already returns only contacts of granted numbers; scoping
	// again keeps the analysis inside the grant whatever the store did.
	sub, events, _ := full.Subgraph(b.Events(), full.Scope(seeds))
	a, err := s.store.AuthorityByID(ctx, g.AuthorityID())
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, sel := range a.Selectors {
		if sel.Kind == writ.SelPhone {
			named[sel.Value] = true
		}
	}
	v := &commsView{g: sub, events: events, tnames: tnames, rows: rows, handsets: handsets,
		reveal: make([]bool, sub.Len()), target: make([]bool, sub.Len())}
	for u := range sub.Len() {
		v.reveal[u] = named[sub.Name(uint32(u))]
	}
	for _, t := range tnames {
		if u, ok := sub.ID(t); ok {
			v.target[u] = true
			v.targets = append(v.targets, u)
		}
	}
	v.labels = sub.Labels(key, v.reveal)
	return v, nil
}

// party finds the node a request names: a number the authority names, or
// the pseudonym of any other party. A raw number the authority does not
// name is refused, so the pseudonyms cannot be matched to numbers by asking.
func (v *commsView) party(name string) (uint32, error) {
	name = strings.TrimSpace(name)
	if strings.HasPrefix(name, "ps-") {
		if i := slices.Index(v.labels, name); i >= 0 {
			return uint32(i), nil
		}
		return 0, writ.Errorf(writ.ENotFound, "no party %s under this grant", name)
	}
	sel, err := writ.NormalizeSelector(writ.Selector{Kind: writ.SelPhone, Value: name})
	if err != nil {
		return 0, err
	}
	u, ok := v.g.ID(sel.Value)
	if ok && v.reveal[u] {
		return u, nil
	}
	if ok {
		return 0, writ.Errorf(writ.EInvalid, "name parties the authority does not name by their pseudonym (ps-...)")
	}
	return 0, writ.Errorf(writ.ENotFound, "no contacts of %s under this grant", sel.Value)
}

func (v *commsView) parties(names []string) ([]uint32, error) {
	out := make([]uint32, 0, len(names))
	for _, n := range names {
		u, err := v.party(n)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func (v *commsView) names(ids []uint32) []string {
	out := make([]string, len(ids))
	for i, u := range ids {
		out[i] = v.labels[u]
	}
	return out
}

func (v *commsView) pair(p *graph.Pair, from uint32) CommsPair {
	a, b := p.A, p.B
	fromA, toA := int(p.AB), int(p.BA)
	if from == p.B {
		a, b, fromA, toA = b, a, toA, fromA
	}
	s := graph.Summary{Count: p.Count(), FromA: fromA, ToA: toA}
	return CommsPair{A: v.labels[a], B: v.labels[b], Count: p.Count(), FromA: fromA, ToA: toA, DurationS: p.Dur,
		First: time.Unix(p.First, 0).UTC(), Last: time.Unix(p.Last, 0).UTC(), Direction: s.Direction()}
}

func (s *Server) handleCommsSummary(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "summary", func(p url.Values) (commsRun, error) {
		return func(v *commsView, gi GrantInfo) (any, error) {
			only, err := v.parties(p["party"])
			if err != nil {
				return nil, err
			}
			out := CommsSummary{Grant: gi, Contacts: v.rows, Parties: v.g.Len(), Targets: nonNil(v.tnames),
				Matrix: v.g.Matrix(v.tnames), Pairs: []CommsPair{}}
			for i := range v.g.Pairs {
				pr := &v.g.Pairs[i]
				from := pr.A
				if !v.target[from] && v.target[pr.B] {
					from = pr.B
				}
				if len(only) > 0 {
					switch {
					case slices.Contains(only, pr.A):
						from = pr.A
					case slices.Contains(only, pr.B):
						from = pr.B
					default:
						continue
					}
				}
				out.Pairs = append(out.Pairs, v.pair(pr, from))
			}
			slices.SortStableFunc(out.Pairs, func(a, b CommsPair) int {
				return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.A, b.A), strings.Compare(a.B, b.B))
			})
			return out, nil
		}, nil
	})
}

func (s *Server) handleCommsCommon(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "common", func(p url.Values) (commsRun, error) {
		min, err := intParam(p, "min", 2, 1, 1<<20)
		if err != nil {
			return nil, err
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			out := CommsCommonResult{Grant: gi, Contacts: v.rows, Min: min, Common: []CommsCommon{}}
			for _, cc := range v.g.CommonContacts(v.targets, min) {
				var ts []string
				for _, t := range v.targets {
					if v.g.PairBetween(t, cc.ID) != nil {
						ts = append(ts, v.labels[t])
					}
				}
				out.Common = append(out.Common, CommsCommon{Party: v.labels[cc.ID], Targets: ts, Count: cc.Count, Hub: v.hubs[cc.ID]})
			}
			return out, nil
		}, nil
	})
}

func (s *Server) handleCommsExpand(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "expand", func(p url.Values) (commsRun, error) {
		k, err := intParam(p, "k", 2, 1, 6)
		if err != nil {
			return nil, err
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			seeds := v.targets
			if len(p["seed"]) > 0 {
				if seeds, err = v.parties(p["seed"]); err != nil {
					return nil, err
				}
			}
			out := CommsExpansion{Grant: gi, Contacts: v.rows, K: k, Seeds: v.names(seeds), Reached: []CommsReached{}}
			for _, x := range graph.NewExpander(v.g, v.hubs).Expand(nil, seeds, k) {
				out.Reached = append(out.Reached, CommsReached{Party: v.labels[x.ID], Hop: x.Hop, Target: v.target[x.ID], Hub: x.Hub})
			}
			return out, nil
		}, nil
	})
}

func (s *Server) handleCommsPath(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "path", func(p url.Values) (commsRun, error) {
		if p.Get("a") == "" || p.Get("b") == "" {
			return nil, writ.Errorf(writ.EInvalid, "a and b must name the two parties (a number the authority names, or a pseudonym)")
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			a, err := v.party(p.Get("a"))
			if err != nil {
				return nil, err
			}
			b, err := v.party(p.Get("b"))
			if err != nil {
				return nil, err
			}
			out := CommsPath{Grant: gi, Contacts: v.rows, A: v.labels[a], B: v.labels[b], Path: []string{}}
			if path := graph.NewExpander(v.g, v.hubs).Path(a, b); path != nil {
				out.Found, out.Hops, out.Path = true, len(path)-1, v.names(path)
			}
			return out, nil
		}, nil
	})
}

func (s *Server) handleCommsCommunities(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "communities", func(p url.Values) (commsRun, error) {
		o, err := communityOptions(p)
		if err != nil {
			return nil, err
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			label := v.g.Communities(o)
			byID := map[int32]*CommsCommunity{}
			for u, l := range label {
				cm := byID[l]
				if cm == nil {
					cm = &CommsCommunity{ID: int(l), Targets: []string{}}
					byID[l] = cm
				}
				cm.Size++
				cm.Members = append(cm.Members, v.labels[u])
				if v.target[u] {
					cm.Targets = append(cm.Targets, v.labels[u])
				}
			}
			out := CommsCommunities{Grant: gi, Contacts: v.rows, Communities: []CommsCommunity{}}
			if v.g.Edges() > 0 {
				out.Modularity = v.g.Modularity(label, o.Weighted, cmp.Or(o.Resolution, 1))
			}
			for _, cm := range byID {
				out.Communities = append(out.Communities, *cm)
			}
			slices.SortFunc(out.Communities, func(a, b CommsCommunity) int {
				return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.ID, b.ID))
			})
			return out, nil
		}, nil
	})
}

func communityOptions(p url.Values) (graph.CommunityOptions, error) {
	var o graph.CommunityOptions
	if s := p.Get("resolution"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 || f > 100 {
			return o, writ.Errorf(writ.EInvalid, "resolution must be a number in (0, 100]")
		}
		o.Resolution = f
	}
	if s := p.Get("weighted"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return o, writ.Errorf(writ.EInvalid, "weighted must be true or false")
		}
		o.Weighted = b
	}
	seed, err := intParam(p, "seed_rng", 1, 0, 1<<62)
	o.Seed = uint64(seed)
	return o, err
}

func (s *Server) handleCommsCentrality(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "centrality", func(p url.Values) (commsRun, error) {
		top, err := intParam(p, "top", 100, 1, 100000)
		if err != nil {
			return nil, err
		}
		samples, err := intParam(p, "samples", 0, 0, 1<<20)
		if err != nil {
			return nil, err
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			pr := v.g.PageRank(graph.PageRankOptions{})
			ev := v.g.Eigenvector(true)
			bt := v.g.Betweenness(samples, 1, v.hubs)
			out := CommsCentrality{Grant: gi, Contacts: v.rows, Parties: []CommsCentral{}}
			for u := range v.g.Len() {
				out.Parties = append(out.Parties, CommsCentral{Party: v.labels[u], Target: v.target[u], Hub: v.hubs[u],
					Degree: v.g.Degree(uint32(u)), PageRank: pr[u], Eigenvector: ev[u], Betweenness: bt[u]})
			}
			slices.SortStableFunc(out.Parties, func(a, b CommsCentral) int {
				return cmp.Or(cmp.Compare(b.PageRank, a.PageRank), strings.Compare(a.Party, b.Party))
			})
			out.Parties = out.Parties[:min(top, len(out.Parties))]
			return out, nil
		}, nil
	})
}

func (s *Server) handleCommsActivity(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "activity", func(p url.Values) (commsRun, error) {
		return func(v *commsView, gi GrantInfo) (any, error) {
			who := v.targets
			if len(p["party"]) > 0 {
				var err error
				if who, err = v.parties(p["party"]); err != nil {
					return nil, err
				}
			}
			out := CommsActivity{Grant: gi, Contacts: v.rows, Parties: []CommsActivityOf{}}
			for _, u := range who {
				a := CommsActivityOf{Party: v.labels[u], Counts: graph.Activity(v.events, u)}
				for _, day := range a.Counts {
					for _, n := range day {
						a.Total += n
					}
				}
				out.Parties = append(out.Parties, a)
			}
			return out, nil
		}, nil
	})
}

func (s *Server) handleCommsSwitches(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.commsJSON(w, r, c, "switches", func(p url.Values) (commsRun, error) {
		var locAuthority int64
		if a := p.Get("location_authority"); a != "" {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil || id <= 0 {
				return nil, writ.Errorf(writ.EInvalid, "location_authority must be an authority id")
			}
			locAuthority = id
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			out := CommsSwitches{Grant: gi, Contacts: v.rows, Switches: []CommsSwitch{}}
			var o graph.SwitchOptions
			if locAuthority > 0 {
				fixes, loc, err := s.handsetFixes(r, c, v, gi, locAuthority)
				if err != nil {
					return nil, err
				}
				out.Locations = loc
				o.Fixes = func(u uint32) []graph.Fix { return fixes[v.g.Name(u)] }
			}
			for _, sw := range v.g.Switches(o) {
				if !v.target[sw.Old] && !v.target[sw.New] {
					continue
				}
				out.Switches = append(out.Switches, CommsSwitch{Old: v.labels[sw.Old], New: v.labels[sw.New],
					OldTarget: v.target[sw.Old], NewTarget: v.target[sw.New], Score: sw.Score, Shared: sw.Shared})
			}
			return out, nil
		}, nil
	})
}

// handsetFixes reads the pings of the handsets the contacts name (their
// caller_device), under a location authority of the case, and returns each
// number's fixes. Where a handset was is location data: only handsets that
// authority names are read, in one gated and audited read inside its
// window; when it names none, nothing is read and the analysis runs on
// contacts alone.
func (s *Server) handsetFixes(r *http.Request, c *caller, v *commsView, gi GrantInfo, authority int64) (map[string][]graph.Fix, *SwitchLocations, error) {
	ctx := r.Context()
	caseID, err := pathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	loc := &SwitchLocations{AuthorityID: authority}
	seen := map[string]bool{}
	for u := range v.g.Len() {
		for _, d := range v.handsets[v.g.Name(uint32(u))] {
			if !seen[d] {
				seen[d] = true
				loc.Handsets++
			}
		}
	}
	req := scope.Request{UserID: c.user.ID, CaseID: caseID, AuthorityID: authority, Category: writ.CatLocation,
		From: gi.From, To: gi.To, Purpose: gi.Purpose, Action: "read.comms.switches.locations"}
	// The authority is looked up only to pick the handsets it names and
	// its window; whether it may be used at all is the gate's to decide.
	if a, err := s.store.AuthorityByID(ctx, authority); err == nil && a.CaseID == caseID {
		for _, sel := range a.Selectors {
			if sel.Kind == writ.SelDevice && seen[sel.Value] {
				req.Selectors = append(req.Selectors, sel)
			}
		}
		if a.WindowStart.After(req.From) {
			req.From = a.WindowStart
		}
		if a.WindowEnd.Before(req.To) {
			req.To = a.WindowEnd
		}
	} else if err != nil && writ.ErrorKind(err) != writ.ENotFound {
		return nil, nil, err
	}
	if len(req.Selectors) == 0 || !req.From.Before(req.To) {
		// Nothing of this authority's reaches these handsets: put the
		// request to the gate without reading, so that an authority of
		// another case or kind is refused and recorded all the same.
		req.Selectors = []writ.Selector{}
		if err := s.precheck(ctx, c, req, ""); err != nil {
			return nil, nil, err
		}
		if _, err := s.gate.Authorize(ctx, req); err != nil {
			return nil, nil, err
		}
		return nil, loc, nil
	}
	if err := s.precheck(ctx, c, req, ""); err != nil {
		return nil, nil, err
	}
	pings, grant, err := s.readPings(ctx, s.gate, req)
	if err != nil {
		return nil, nil, err
	}
	gi2 := grantInfo(grant)
	loc.Grant = &gi2
	loc.Read = len(req.Selectors)
	loc.Pings = len(pings)
	byDevice := map[string][]graph.Fix{}
	for _, p := range pings {
		byDevice[p.Device] = append(byDevice[p.Device], graph.Fix{At: p.At.Unix(), Lat: p.Lat, Lon: p.Lon})
	}
	fixes := map[string][]graph.Fix{}
	for name, devs := range v.handsets {
		for _, d := range devs {
			fixes[name] = append(fixes[name], byDevice[d]...)
		}
	}
	return fixes, loc, nil
}

// commsExport is an export's bytes and content type.
type commsExport struct {
	body  []byte
	ctype string
	ext   string
}

func (s *Server) handleCommsExport(w http.ResponseWriter, r *http.Request, c *caller) error {
	out, err := s.serveComms(w, r, c, "export", func(p url.Values) (commsRun, error) {
		format := p.Get("format")
		if format != "graphml" && format != "gexf" && format != "csv" {
			return nil, writ.Errorf(writ.EInvalid, "format must be graphml, gexf or csv")
		}
		withComm := false
		if s := p.Get("communities"); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return nil, writ.Errorf(writ.EInvalid, "communities must be true or false")
			}
			withComm = b
		}
		return func(v *commsView, gi GrantInfo) (any, error) {
			var comm []int32
			if withComm {
				comm = v.g.Communities(graph.CommunityOptions{Seed: 1})
			}
			var buf bytes.Buffer
			x := commsExport{ext: format}
			var err error
			switch format {
			case "graphml":
				x.ctype = "application/graphml+xml"
				err = v.g.WriteGraphML(&buf, v.labels, comm)
			case "gexf":
				x.ctype = "application/gexf+xml"
				err = v.g.WriteGEXF(&buf, v.labels, comm)
			default:
				x.ctype = "text/csv; charset=utf-8"
				err = v.g.WriteCSV(&buf, v.labels)
			}
			x.body = buf.Bytes()
			return x, err
		}, nil
	})
	if err != nil {
		return err
	}
	x := out.(commsExport)
	w.Header().Set("Content-Type", x.ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.`+x.ext+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(x.body)
	return nil
}

// commsJSON runs an analysis and sends its result as JSON.
func (s *Server) commsJSON(w http.ResponseWriter, r *http.Request, c *caller, name string, prepare func(p url.Values) (commsRun, error)) error {
	out, err := s.serveComms(w, r, c, name, prepare)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// intParam parses an optional integer parameter in [lo, hi].
func intParam(p url.Values, name string, def, lo, hi int) (int, error) {
	s := p.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, writ.Errorf(writ.EInvalid, "%s must be an integer in [%d, %d]", name, lo, hi)
	}
	return n, nil
}
