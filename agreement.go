package writ

import (
	"strings"
	"time"
)

// Agreement is a data-sharing agreement under which a reference dataset (a
// registry, a broker's file) is held: who shares it, for what purposes, and
// how long it may be kept.
type Agreement struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Dataset       string    `json:"dataset"`
	Parties       []string  `json:"parties"`
	Purposes      []string  `json:"purposes"`
	RetentionDays int       `json:"retention_days"`
	ExpiresAt     time.Time `json:"expires_at"`
	CreatedBy     int64     `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

// Validate checks an agreement before it is stored.
func (a *Agreement) Validate() error {
	switch {
	case strings.TrimSpace(a.Name) == "":
		return Errorf(EInvalid, "agreement needs a name")
	case strings.TrimSpace(a.Dataset) == "":
		return Errorf(EInvalid, "agreement needs the dataset it covers")
	case len(a.Parties) < 2:
		return Errorf(EInvalid, "agreement needs at least two parties")
	case len(a.Purposes) == 0:
		return Errorf(EInvalid, "agreement needs at least one allowed purpose")
	case a.RetentionDays <= 0:
		return Errorf(EInvalid, "agreement needs a retention period in days")
	case a.ExpiresAt.IsZero():
		return Errorf(EInvalid, "agreement needs an end date")
	}
	return nil
}
