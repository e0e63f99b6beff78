package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/writhq/writ"
)

// Cases lists the cases the user may see, optionally only those with status.
func (c *Client) Cases(ctx context.Context, status writ.CaseStatus) ([]*writ.Case, error) {
	var q url.Values
	if status != "" {
		q = url.Values{"status": {string(status)}}
	}
	var out []*writ.Case
	return out, c.do(ctx, http.MethodGet, "/api/cases", q, nil, &out)
}

// CreateCase opens a case with the signed-in user as its lead.
func (c *Client) CreateCase(ctx context.Context, title, description string) (*writ.Case, error) {
	var out writ.Case
	if err := c.do(ctx, http.MethodPost, "/api/cases", nil, NewCase{Title: title, Description: description}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Case returns one case.
func (c *Client) Case(ctx context.Context, id int64) (*writ.Case, error) {
	var out writ.Case
	if err := c.do(ctx, http.MethodGet, idPath("/api/cases/%d", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetCaseStatus opens, closes or seals a case.
func (c *Client) SetCaseStatus(ctx context.Context, id int64, status writ.CaseStatus) (*writ.Case, error) {
	var out writ.Case
	if err := c.do(ctx, http.MethodPut, idPath("/api/cases/%d/status", id), nil, StatusChange{Status: status}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Roster lists a case's team.
func (c *Client) Roster(ctx context.Context, caseID int64) ([]*writ.RosterEntry, error) {
	var out []*writ.RosterEntry
	return out, c.do(ctx, http.MethodGet, idPath("/api/cases/%d/roster", caseID), nil, nil, &out)
}

// AddToRoster puts a user on a case team.
func (c *Client) AddToRoster(ctx context.Context, caseID, userID int64, role writ.RosterRole) (*writ.RosterEntry, error) {
	var out writ.RosterEntry
	if err := c.do(ctx, http.MethodPost, idPath("/api/cases/%d/roster", caseID), nil, RosterAdd{UserID: userID, Role: role}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveFromRoster takes a user off a case team.
func (c *Client) RemoveFromRoster(ctx context.Context, caseID, userID int64) error {
	return c.do(ctx, http.MethodDelete, idPath("/api/cases/%d/roster/%d", caseID, userID), nil, nil, nil)
}

// Subjects lists a case's subjects.
func (c *Client) Subjects(ctx context.Context, caseID int64) ([]*writ.Subject, error) {
	var out []*writ.Subject
	return out, c.do(ctx, http.MethodGet, idPath("/api/cases/%d/subjects", caseID), nil, nil, &out)
}

// CreateSubject adds a subject to a case.
func (c *Client) CreateSubject(ctx context.Context, caseID int64, name, notes string) (*writ.Subject, error) {
	var out writ.Subject
	if err := c.do(ctx, http.MethodPost, idPath("/api/cases/%d/subjects", caseID), nil, NewSubject{Name: name, Notes: notes}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RequestAuthority records an authority on a case, awaiting approval.
func (c *Client) RequestAuthority(ctx context.Context, caseID int64, a AuthorityRequest) (*writ.Authority, error) {
	var out writ.Authority
	if err := c.do(ctx, http.MethodPost, idPath("/api/cases/%d/authorities", caseID), nil, a, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Authorities lists a case's authorities, optionally only those with status.
func (c *Client) Authorities(ctx context.Context, caseID int64, status writ.AuthorityStatus) ([]*writ.Authority, error) {
	var q url.Values
	if status != "" {
		q = url.Values{"status": {string(status)}}
	}
	var out []*writ.Authority
	return out, c.do(ctx, http.MethodGet, idPath("/api/cases/%d/authorities", caseID), q, nil, &out)
}

// Authority returns one authority.
func (c *Client) Authority(ctx context.Context, id int64) (*writ.Authority, error) {
	var out writ.Authority
	if err := c.do(ctx, http.MethodGet, idPath("/api/authorities/%d", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveAuthority approves a requested authority (a supervisor who did not request it).
func (c *Client) ApproveAuthority(ctx context.Context, id int64) (*writ.Authority, error) {
	var out writ.Authority
	if err := c.do(ctx, http.MethodPost, idPath("/api/authorities/%d/approve", id), nil, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeAuthority revokes an authority, giving a reason.
func (c *Client) RevokeAuthority(ctx context.Context, id int64, reason string) (*writ.Authority, error) {
	var out writ.Authority
	if err := c.do(ctx, http.MethodPost, idPath("/api/authorities/%d/revoke", id), nil, Revocation{Reason: reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateAgreement records a data-sharing agreement (admins and supervisors).
func (c *Client) CreateAgreement(ctx context.Context, a NewAgreement) (*writ.Agreement, error) {
	var out writ.Agreement
	if err := c.do(ctx, http.MethodPost, "/api/agreements", nil, a, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Agreements lists the data-sharing agreements.
func (c *Client) Agreements(ctx context.Context) ([]*writ.Agreement, error) {
	var out []*writ.Agreement
	return out, c.do(ctx, http.MethodGet, "/api/agreements", nil, nil, &out)
}

// Agreement returns one agreement.
func (c *Client) Agreement(ctx context.Context, id int64) (*writ.Agreement, error) {
	var out writ.Agreement
	if err := c.do(ctx, http.MethodGet, idPath("/api/agreements/%d", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
