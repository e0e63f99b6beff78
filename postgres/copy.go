package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Ingest batches load their rows with COPY, several times faster than
// multi-row INSERTs through database/sql.
func init() { Dialect.CopyFrom = copyFrom }

func copyFrom(ctx context.Context, driverConn any, table string, cols []string, next func() []any) (int64, error) {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return 0, fmt.Errorf("postgres: COPY needs a pgx connection, not %T", driverConn)
	}
	return c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) { return next(), nil }))
}
