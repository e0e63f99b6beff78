package postgres_test

import (
	"testing"

	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqlstore.DB { return postgres.OpenTest(t) })
}
