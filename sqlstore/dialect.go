package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// Dialect is everything that differs between SQLite and PostgreSQL; the rest
// of the SQL is shared. Adapters (package sqlite, package postgres) fill it in.
type Dialect struct {
	Name string
	// Types replaces {{NAME}} tokens in migrations.
	Types map[string]string
	// Numbered placeholders ($1, $2) instead of ?.
	Numbered bool
	// Classify maps a driver error to a domain error kind ("" if unknown)
	// and reports whether the transaction may be retried (busy, serialization).
	Classify func(err error) (kind string, retry bool)
	// CopyFrom, if set, bulk-loads rows into table over the driver
	// connection, inside its open transaction; next returns nil after the
	// last row. Package postgres sets it to COPY; ingest batches use it.
	CopyFrom func(ctx context.Context, driverConn any, table string, cols []string, next func() []any) (int64, error)
}

// Rebind rewrites ? placeholders to the dialect's form. Queries in this package
// never contain a literal '?' outside placeholders.
func (d *Dialect) Rebind(q string) string {
	if !d.Numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *Dialect) expand(sql string) string {
	for k, v := range d.Types {
		sql = strings.ReplaceAll(sql, "{{"+k+"}}", v)
	}
	return sql
}

// errRetry marks an error worth retrying the whole transaction for.
var errRetry = errors.New("sqlstore: retryable")
