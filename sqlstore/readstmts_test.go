package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/writhq/writ/sqlstore"
)

// TestReadStmtsEviction fills the ping reads' statement cache past its
// bound while a statement from it is still in use: the statement must keep
// working until its user releases it (an evicted statement closed under a
// concurrent read failed it with "sql: statement is closed"), and the
// cache must stay bounded.
func TestReadStmtsEviction(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	held, release, err := db.ReadStmt("SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * sqlstore.MaxReadStmts {
		s, rel, err := db.ReadStmt(fmt.Sprintf("SELECT %d", i+2))
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := s.QueryRowContext(ctx).Scan(&v); err != nil || v != i+2 {
			t.Fatalf("SELECT %d = %d, %v", i+2, v, err)
		}
		rel()
	}
	var one int
	if err := held.QueryRowContext(ctx).Scan(&one); err != nil || one != 1 {
		t.Fatalf("a statement held through the cache's evictions: %d, %v; want 1", one, err)
	}
	release()

	// Many readers at once, over more texts than the cache keeps.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				want := (g*7919 + i*31) % (2 * sqlstore.MaxReadStmts)
				s, rel, err := db.ReadStmt(fmt.Sprintf("SELECT %d", want))
				if err != nil {
					errs <- err
					return
				}
				var v int
				err = s.QueryRowContext(ctx).Scan(&v)
				rel()
				if err != nil || v != want {
					errs <- fmt.Errorf("SELECT %d = %d, %v", want, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := db.ReadStmtsCached(); n != sqlstore.MaxReadStmts {
		t.Errorf("the cache holds %d statements; want its bound, %d", n, sqlstore.MaxReadStmts)
	}
}
