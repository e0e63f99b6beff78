package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/writhq/writ"
)

const agreementCols = `id, name, dataset, parties, purposes, retention_days, expires_at, created_by, created_at`

func scanAgreement(s scanner) (*writ.Agreement, error) {
	var a writ.Agreement
	var parties, purposes string
	var expires, created int64
	if err := s.Scan(&a.ID, &a.Name, &a.Dataset, &parties, &purposes, &a.RetentionDays, &expires, &a.CreatedBy, &created); err != nil {
		return nil, err
	}
	a.ExpiresAt, a.CreatedAt = fromMicros(expires), fromMicros(created)
	if err := json.Unmarshal([]byte(parties), &a.Parties); err != nil {
		return nil, fmt.Errorf("agreement %d parties: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(purposes), &a.Purposes); err != nil {
		return nil, fmt.Errorf("agreement %d purposes: %w", a.ID, err)
	}
	return &a, nil
}

// CreateAgreement validates and stores a data-sharing agreement and sets its ID.
func (db *DB) CreateAgreement(ctx context.Context, a *writ.Agreement) error {
	if err := a.Validate(); err != nil {
		return err
	}
	a.CreatedAt = writ.Now()
	parties, err := json.Marshal(a.Parties)
	if err != nil {
		return err
	}
	purposes, err := json.Marshal(a.Purposes)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.userExists(ctx, tx, a.CreatedBy); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO agreements (name, dataset, parties, purposes, retention_days,
			expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			a.Name, a.Dataset, string(parties), string(purposes), a.RetentionDays, micros(a.ExpiresAt),
			a.CreatedBy, micros(a.CreatedAt)).Scan(&a.ID)
	})
}

// AgreementByID returns the agreement with id, or ENotFound.
func (db *DB) AgreementByID(ctx context.Context, id int64) (*writ.Agreement, error) {
	a, err := scanAgreement(db.r.QueryRowContext(ctx, db.q(`SELECT `+agreementCols+` FROM agreements WHERE id = ?`), id))
	if err != nil {
		return nil, db.wrap(notFound(err, "agreement %d not found", id))
	}
	return a, nil
}

// ListAgreements returns every agreement in id order.
func (db *DB) ListAgreements(ctx context.Context) ([]*writ.Agreement, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+agreementCols+` FROM agreements ORDER BY id`)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanAgreement, db.wrap)
}
