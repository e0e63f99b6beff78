package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/writhq/writ"
)

// RunResolution runs entity resolution over the spec's datasets (admins).
func (c *Client) RunResolution(ctx context.Context, spec writ.ResolutionSpec) (*writ.ResolutionRun, error) {
	var out writ.ResolutionRun
	if err := c.do(ctx, http.MethodPost, "/api/resolution/runs", nil, spec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (q ResolveQuery) values() url.Values {
	v := url.Values{}
	v.Set("authority", strconv.FormatInt(q.AuthorityID, 10))
	if q.Purpose != "" {
		v.Set("purpose", q.Purpose)
	}
	return v
}

// Entity reads the latest run's entity holding record, under an authority.
func (c *Client) Entity(ctx context.Context, caseID, record int64, q ResolveQuery) (*EntityPage, error) {
	var out EntityPage
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/entities/%d", caseID, record), q.values(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExplainPair reads why the latest run scored records a and b as it did.
func (c *Client) ExplainPair(ctx context.Context, caseID, a, b int64, q ResolveQuery) (*ExplainPage, error) {
	v := q.values()
	v.Set("a", strconv.FormatInt(a, 10))
	v.Set("b", strconv.FormatInt(b, 10))
	var out ExplainPage
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/resolution/explain", caseID), v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Decide adds a decision (confirm, reject, split) to the ledger.
func (c *Client) Decide(ctx context.Context, caseID int64, req DecisionRequest) (*writ.ResolutionDecision, error) {
	var out writ.ResolutionDecision
	if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/cases/%d/resolution/decisions", caseID), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LinkEntity links the entity holding req.Record to a case subject.
func (c *Client) LinkEntity(ctx context.Context, caseID, subject int64, req LinkRequest) (*writ.SubjectLink, error) {
	var out writ.SubjectLink
	if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/cases/%d/subjects/%d/entities", caseID, subject), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveSubjectLink approves a requested subject link (a supervisor who did not request it).
func (c *Client) ApproveSubjectLink(ctx context.Context, caseID, link int64) (*writ.SubjectLink, error) {
	var out writ.SubjectLink
	if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/cases/%d/subject-links/%d/approve", caseID, link), nil, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RejectSubjectLink rejects a requested subject link or revokes an approved one (supervisors).
func (c *Client) RejectSubjectLink(ctx context.Context, caseID, link int64, reason string) (*writ.SubjectLink, error) {
	var out writ.SubjectLink
	if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/cases/%d/subject-links/%d/reject", caseID, link), nil, Revocation{Reason: reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
