package writ

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"time"
)

// Grant is the permission for one read of case data, minted by the scope gate
// after every check passed. Its fields are unexported and sealed with a
// per-process key, so a Grant cannot be built or altered outside the gate:
// stores call Check before reading and clip their queries to the grant.
type Grant struct {
	userID, caseID, authorityID int64
	kind                        AuthorityKind
	category                    Category
	selectors                   []Selector
	from, to                    time.Time
	area                        Polygon
	purpose                     string
	issuedAt, expiresAt         time.Time
	seal                        [32]byte
}

// GrantSpec is what the gate puts into a grant.
type GrantSpec struct {
	UserID, CaseID, AuthorityID int64
	Kind                        AuthorityKind
	Category                    Category
	Selectors                   []Selector
	From, To                    time.Time
	Area                        Polygon
	Purpose                     string
	IssuedAt, ExpiresAt         time.Time
}

// Minter is the one capability that mints grants. ClaimMinter hands it out
// once per process; package scope claims it at init, so no other package can.
type Minter struct{ key [32]byte }

var (
	minterOnce    sync.Once
	minterClaimed bool
	sealKey       [32]byte
)

// ClaimMinter returns the process's grant minter the first time it is called
// and nil afterwards.
func ClaimMinter() *Minter {
	var m *Minter
	minterOnce.Do(func() {
		if _, err := rand.Read(sealKey[:]); err != nil {
			panic("writ: no randomness for grant seal: " + err.Error())
		}
		m = &Minter{key: sealKey}
		minterClaimed = true
	})
	return m
}

// Mint makes a sealed grant.
func (m *Minter) Mint(s GrantSpec) *Grant {
	g := &Grant{userID: s.UserID, caseID: s.CaseID, authorityID: s.AuthorityID, kind: s.Kind,
		category: s.Category, selectors: slices.Clone(s.Selectors), from: s.From, to: s.To,
		area: slices.Clone(s.Area), purpose: s.Purpose, issuedAt: s.IssuedAt, expiresAt: s.ExpiresAt}
	g.seal = g.digest(m.key)
	return g
}

func (g *Grant) digest(key [32]byte) [32]byte {
	h := hmac.New(sha256.New, key[:])
	var b [8]byte
	num := func(v int64) { binary.BigEndian.PutUint64(b[:], uint64(v)); h.Write(b[:]) }
	str := func(s string) { num(int64(len(s))); h.Write([]byte(s)) }
	num(g.userID)
	num(g.caseID)
	num(g.authorityID)
	str(string(g.kind))
	str(string(g.category))
	num(int64(len(g.selectors)))
	for _, s := range g.selectors {
		str(s.String())
	}
	num(g.from.UnixMicro())
	num(g.to.UnixMicro())
	num(int64(len(g.area)))
	for _, p := range g.area {
		num(int64(p.Lat * 1e9))
		num(int64(p.Lon * 1e9))
	}
	str(g.purpose)
	num(g.issuedAt.UnixMicro())
	num(g.expiresAt.UnixMicro())
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Check verifies that g was minted by the gate, is unaltered, unexpired, and
// is for category c. Every store read calls it first.
func (g *Grant) Check(c Category) error {
	if g == nil || !minterClaimed {
		return Deny("grant_required", "no grant for this read")
	}
	if d := g.digest(sealKey); !hmac.Equal(d[:], g.seal[:]) {
		return Deny("grant_forged", "grant was not issued by the scope gate")
	}
	if g.category != c {
		return Deny("grant_category", "grant is for %s, not %s", g.category, c)
	}
	if !time.Now().Before(g.expiresAt) {
		return Deny("grant_expired", "grant has expired; request a new one")
	}
	return nil
}

func (g *Grant) UserID() int64                { return g.userID }
func (g *Grant) CaseID() int64                { return g.caseID }
func (g *Grant) AuthorityID() int64           { return g.authorityID }
func (g *Grant) AuthorityKind() AuthorityKind { return g.kind }
func (g *Grant) Category() Category           { return g.category }
func (g *Grant) Selectors() []Selector        { return slices.Clone(g.selectors) }
func (g *Grant) From() time.Time              { return g.from }
func (g *Grant) To() time.Time                { return g.to }
func (g *Grant) Area() Polygon                { return slices.Clone(g.area) }
func (g *Grant) Purpose() string              { return g.purpose }
func (g *Grant) ExpiresAt() time.Time         { return g.expiresAt }

// SelectorValues returns the values of the grant's selectors of kind k.
func (g *Grant) SelectorValues(k SelectorKind) []string {
	var out []string
	for _, s := range g.selectors {
		if s.Kind == k {
			out = append(out, s.Value)
		}
	}
	return out
}

// Clip intersects q with the grant: the selector values and window a store
// must put in its WHERE clause. ok is false when nothing can match.
func (g *Grant) Clip(q EventQuery) (values []string, from, to time.Time, limit int, ok bool) {
	allowed := g.SelectorValues(SelectorKindFor(g.category))
	if len(q.Selectors) == 0 {
		values = allowed
	} else {
		for _, v := range q.Selectors {
			if slices.Contains(allowed, v) && !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
	}
	from, to = g.from, g.to
	if !q.From.IsZero() && q.From.After(from) {
		from = q.From
	}
	if !q.To.IsZero() && q.To.Before(to) {
		to = q.To
	}
	limit = q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	} else if limit > MaxLimit {
		limit = MaxLimit
	}
	// A grant with no selectors of its kind is an area grant; it needs an area.
	ok = from.Before(to) && (len(values) > 0 || (len(q.Selectors) == 0 && len(g.area) > 0))
	return values, from, to, limit, ok
}
