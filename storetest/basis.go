package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/sqlstore"
)

// Agreement stores a user and a data-sharing agreement for store tests
// outside the suite that need a legal basis for their batches, and
// returns the agreement's id.
func Agreement(t testing.TB, db *sqlstore.DB) int64 {
	t.Helper()
	ctx := context.Background()
	u := &writ.User{Username: "ops", DisplayName: "Ops", Role: writ.RoleAdmin, Active: true, PasswordHash: "x"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &writ.Agreement{Name: "Feed", Dataset: "carrier", Parties: []string{"Carrier", "Police"}, Purposes: []string{"lookouts"},
		RetentionDays: 30, ExpiresAt: time.Now().Add(24 * time.Hour), CreatedBy: u.ID}
	if err := db.CreateAgreement(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}
