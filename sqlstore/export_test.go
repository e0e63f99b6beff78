package sqlstore

import (
	"context"
	"database/sql"
)

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

// InsertChunks inserts n rows (i, i*i, c) into table (a, b, c) in one write
// transaction, as CommitBatch inserts a batch's rows (c a constant column,
// bound once per statement); it returns the writer statements cached after.
func (db *DB) InsertChunks(ctx context.Context, table string, n int, c string) (int, error) {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	err := db.connTx(ctx, nil, func(_ *sql.Conn, tx *sql.Tx) error {
		return db.insertChunks(ctx, tx, table, "a, b", []string{"c"}, []any{c}, idx, func(dst []any, i int) []any {
			return append(dst, int64(i), int64(i)*int64(i))
		})
	})
	db.wstmts.mu.Lock()
	defer db.wstmts.mu.Unlock()
	return len(db.wstmts.stmts), err
}

// ReadStmt is the ping reads' statement cache's stmt: query prepared on the
// read pool, and the release the caller owes once done with it.
func (db *DB) ReadStmt(query string) (*sql.Stmt, func(), error) {
	return db.pings.stmt(db, query)
}

// MaxReadStmts is how many statements the ping reads' cache keeps.
const MaxReadStmts = maxStmts

// ReadStmtsCached is how many statements the ping reads' cache holds.
func (db *DB) ReadStmtsCached() int {
	db.pings.mu.Lock()
	defer db.pings.mu.Unlock()
	return len(db.pings.stmts)
}
