package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// writeStmts caches the writer's statements by their text, prepared on the
// writer pool, so that a statement a batch runs again is not parsed again:
// modernc's driver prepares every ExecContext's text anew, and parsing the
// multi-row INSERTs of a batch's blocks took a seventh of the commit
// stage's CPU (docs/ingest.md, "Performance").
//
// The SQLite writer pool holds one connection, which a transaction keeps,
// so a text first met inside a transaction cannot be prepared on the pool
// there: it runs unprepared that once and is noted, and tryConnTx prepares
// the noted texts before it takes the connection for the next transaction.
type writeStmts struct {
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

// maxWriteStmts bounds the statements a writeStmts keeps; they are few
// (a table's INSERTs come in a handful of row counts, see insertChunks),
// and texts past the bound run unprepared.
const maxWriteStmts = 128

// exec runs query in tx: as a statement prepared once, if it is cached,
// else as text, noting it for prepareWanted.
func (w *writeStmts) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s := w.get(query); s != nil {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// get returns query's cached statement, or nil after noting query (if
// the cache has room).
func (w *writeStmts) get(query string) *sql.Stmt {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.stmts[query]; ok {
		return s
	}
	if len(w.stmts) >= maxWriteStmts { // full: not noted, to be prepared in vain
		return nil
	}
	if w.wanted == nil {
		w.wanted = map[string]bool{}
	}
	w.wanted[query] = true
	return nil
}

// prepareWanted prepares on pool the texts noted since it last ran. It must
// not run while the caller holds a connection of pool. A text that fails to
// prepare is dropped: it will fail, clearly, where it runs as text.
func (w *writeStmts) prepareWanted(ctx context.Context, pool *sql.DB) {
	w.mu.Lock()
	wanted := w.wanted
	w.wanted = nil
	w.mu.Unlock()
	for query := range wanted {
		s, err := pool.PrepareContext(ctx, query)
		if err != nil {
			continue
		}
		w.mu.Lock()
		if w.stmts == nil {
			w.stmts = map[string]*sql.Stmt{}
		}
		// A cached statement is never closed before the store is: a
		// transaction may be using it. Past the bound, texts run as text.
		if _, ok := w.stmts[query]; ok || len(w.stmts) >= maxWriteStmts {
			s.Close()
		} else {
			w.stmts[query] = s
		}
		w.mu.Unlock()
	}
}

func (w *writeStmts) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.stmts {
		s.Close()
	}
	w.stmts, w.wanted = nil, nil
}
