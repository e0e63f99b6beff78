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
