package ingest

import (
	"context"
	"time"

	"github.com/writhq/writ"
)

// BasisStore looks up the legal bases an ingest run may name.
type BasisStore interface {
	AuthorityByID(ctx context.Context, id int64) (*writ.Authority, error)
	AgreementByID(ctx context.Context, id int64) (*writ.Agreement, error)
}

// CheckBasis checks, at time now, that b may hold data of mapping m: an
// authority must be approved, in force and cover the kind's data category;
// an agreement must be in force and cover the mapping's dataset.
func CheckBasis(ctx context.Context, st BasisStore, b Basis, m *Mapping, now time.Time) error {
	switch b.Kind {
	case "authority":
		a, err := st.AuthorityByID(ctx, b.ID)
		if err != nil {
			return err
		}
		switch status := a.StatusAt(now); {
		case status != writ.AuthApproved:
			return writ.Errorf(writ.EForbidden, "authority %d is %s, not approved; data cannot be ingested under it", a.ID, status)
		case !a.IssuedAt.IsZero() && now.Before(a.IssuedAt):
			return writ.Errorf(writ.EForbidden, "authority %d is not in force until %s", a.ID, a.IssuedAt.Format(time.RFC3339))
		case !a.Covers(m.Kind.Category()):
			return writ.Errorf(writ.EForbidden, "authority %d does not cover %s data (it covers %v), which %s is", a.ID, m.Kind.Category(), a.Categories, m.Kind)
		}
	case "agreement":
		a, err := st.AgreementByID(ctx, b.ID)
		if err != nil {
			return err
		}
		switch {
		case !now.Before(a.ExpiresAt):
			return writ.Errorf(writ.EForbidden, "agreement %d expired on %s; data cannot be ingested under it", a.ID, a.ExpiresAt.Format(time.DateOnly))
		case a.Dataset != m.Dataset:
			return writ.Errorf(writ.EForbidden, "agreement %d covers dataset %q, not %q", a.ID, a.Dataset, m.Dataset)
		}
	default:
		return writ.Errorf(writ.EInvalid, "legal basis %q: want an authority or an agreement", b.Kind)
	}
	return nil
}
