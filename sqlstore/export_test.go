package sqlstore

// Ring exposes ring to the external tests, which check it against the
// parsers in package sqlite.
var Ring = ring

// SetPingScan makes ping reads scan in rounds from tiny sizes, so that the
// tests reach the rounds with little data; it returns the restore.
func SetPingScan(one, first int) func() {
	o, f := oneShot, firstRound
	oneShot, firstRound = one, first
	return func() { oneShot, firstRound = o, f }
}

// SetNearSeeks cuts PingsNear's reads into statements of n seeks, so that
// the tests reach its parallel readers with little data; it returns the
// restore.
func SetNearSeeks(n int) func() {
	o := nearSeeks
	nearSeeks = n
	return func() { nearSeeks = o }
}

// SetCompactMaxKeys bounds the keys an automatic compaction merges; it
// returns the restore.
func SetCompactMaxKeys(n int) func() {
	o := compactMaxKeys
	compactMaxKeys = n
	return func() { compactMaxKeys = o }
}
