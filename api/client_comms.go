package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// CommsOptions are the parameters of a comms analysis beside its read's
// (authority, purpose, selectors, window): k, min, a, b, party, seed,
// resolution, weighted, top, samples, hub_min, format, communities.
type CommsOptions = url.Values

func (c *Client) comms(ctx context.Context, caseID int64, what string, q ReadQuery, o CommsOptions, out any) error {
	return c.do(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/comms/%s", caseID, what), analyticsValues(q, Analytics(o)), nil, out)
}

// CommsSummary returns the pairs in contact and the frequency matrix among
// the targets, under an authority covering comms.
func (c *Client) CommsSummary(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsSummary, error) {
	var out CommsSummary
	return &out, c.comms(ctx, caseID, "summary", q, o, &out)
}

// CommsCommon returns the common contacts of the targets.
func (c *Client) CommsCommon(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsCommonResult, error) {
	var out CommsCommonResult
	return &out, c.comms(ctx, caseID, "common", q, o, &out)
}

// CommsExpand returns a k-hop expansion, hubs suppressed.
func (c *Client) CommsExpand(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsExpansion, error) {
	var out CommsExpansion
	return &out, c.comms(ctx, caseID, "expand", q, o, &out)
}

// CommsPath returns a shortest path between parties o["a"] and o["b"].
func (c *Client) CommsPath(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsPath, error) {
	var out CommsPath
	return &out, c.comms(ctx, caseID, "path", q, o, &out)
}

// CommsCommunities returns the communities of the granted graph.
func (c *Client) CommsCommunities(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsCommunities, error) {
	var out CommsCommunities
	return &out, c.comms(ctx, caseID, "communities", q, o, &out)
}

// CommsCentrality returns PageRank, degree and betweenness of the granted graph.
func (c *Client) CommsCentrality(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsCentrality, error) {
	var out CommsCentrality
	return &out, c.comms(ctx, caseID, "centrality", q, o, &out)
}

// CommsActivity returns hour × weekday activity.
func (c *Client) CommsActivity(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsActivity, error) {
	var out CommsActivity
	return &out, c.comms(ctx, caseID, "activity", q, o, &out)
}

// CommsSwitches returns burner-switch candidates among the targets.
func (c *Client) CommsSwitches(ctx context.Context, caseID int64, q ReadQuery, o CommsOptions) (*CommsSwitches, error) {
	var out CommsSwitches
	return &out, c.comms(ctx, caseID, "switches", q, o, &out)
}

// CommsExport writes the granted graph to w as format (graphml, gexf or csv).
func (c *Client) CommsExport(ctx context.Context, caseID int64, q ReadQuery, format string, o CommsOptions, w io.Writer) error {
	v := analyticsValues(q, Analytics(o))
	v.Set("format", format)
	resp, err := c.send(ctx, http.MethodGet, fmt.Sprintf("/api/cases/%d/comms/export", caseID), v, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("comms export: %w", err)
	}
	return nil
}
