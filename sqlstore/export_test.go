package sqlstore

// Ring exposes ring to the external tests, which check it against the
// parsers in package sqlite.
var Ring = ring
