package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
)

// Contacts reads communications metadata of a case under an authority.
func (c *Client) Contacts(ctx context.Context, caseID int64, q ReadQuery) (*Page[writ.Contact], error) {
	return readPage[writ.Contact](ctx, c, caseID, "contacts", q)
}

// Pings reads device locations of a case under an authority.
func (c *Client) Pings(ctx context.Context, caseID int64, q ReadQuery) (*Page[writ.Ping], error) {
	return readPage[writ.Ping](ctx, c, caseID, "pings", q)
}

// PlateReads reads licence-plate reads of a case under an authority.
func (c *Client) PlateReads(ctx context.Context, caseID int64, q ReadQuery) (*Page[writ.PlateRead], error) {
	return readPage[writ.PlateRead](ctx, c, caseID, "plate-reads", q)
}

// Records reads subject records of a case under an authority.
func (c *Client) Records(ctx context.Context, caseID int64, q ReadQuery) (*Page[writ.Record], error) {
	return readPage[writ.Record](ctx, c, caseID, "records", q)
}

func readPage[T any](ctx context.Context, c *Client, caseID int64, what string, q ReadQuery) (*Page[T], error) {
	var out Page[T]
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/%s", caseID, what), q.Values(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Values encodes q as the query parameters the read endpoints take.
func (q ReadQuery) Values() url.Values {
	v := url.Values{}
	v.Set("authority", strconv.FormatInt(q.AuthorityID, 10))
	if q.Purpose != "" {
		v.Set("purpose", q.Purpose)
	}
	for _, s := range q.Selectors {
		v.Add("selector", s.String())
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	if len(q.Area) > 0 {
		v.Set("area", FormatArea(q.Area))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	return v
}

// AuditEntries lists audit log entries (auditors).
func (c *Client) AuditEntries(ctx context.Context, f writ.AuditFilter) ([]writ.AuditEntry, error) {
	v := url.Values{}
	if f.From > 0 {
		v.Set("from", strconv.FormatInt(f.From, 10))
	}
	if f.Limit > 0 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.CaseID > 0 {
		v.Set("case", strconv.FormatInt(f.CaseID, 10))
	}
	if f.Actor > 0 {
		v.Set("actor", strconv.FormatInt(f.Actor, 10))
	}
	var out []writ.AuditEntry
	return out, c.do(ctx, http.MethodGet, "/api/audit/entries", v, nil, &out)
}

// AuditCheckpoint returns the log's latest signed checkpoint (a signed note).
func (c *Client) AuditCheckpoint(ctx context.Context) (string, error) {
	var out Checkpoint
	return out.Note, c.do(ctx, http.MethodGet, "/api/audit/checkpoint", nil, nil, &out)
}

// AuditProof returns the inclusion proof of entry index in the latest
// checkpoint; check it with audit.CheckProof and the verifier key.
func (c *Client) AuditProof(ctx context.Context, index int64) (*audit.Proof, error) {
	var out audit.Proof
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/audit/proof/%d", index), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditKey returns the verifier key of the log's checkpoints.
func (c *Client) AuditKey(ctx context.Context) (string, error) {
	var out VerifierKey
	return out.Key, c.do(ctx, http.MethodGet, "/api/audit/key", nil, nil, &out)
}

// AuditExport downloads the whole log to w.
func (c *Client) AuditExport(ctx context.Context, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/api/audit/export", nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	return nil
}
