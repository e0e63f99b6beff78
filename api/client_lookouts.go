package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
)

// CreateLookout creates a lookout on a case; the answer holds the webhook
// secret, shown only this once.
func (c *Client) CreateLookout(ctx context.Context, caseID int64, l NewLookout) (*writ.Lookout, error) {
	var out writ.Lookout
	if err := c.do(ctx, http.MethodPost, idPath("/api/cases/%d/lookouts", caseID), nil, l, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Lookouts lists a case's lookouts, optionally only those with status.
func (c *Client) Lookouts(ctx context.Context, caseID int64, status writ.LookoutStatus) ([]*writ.Lookout, error) {
	var q url.Values
	if status != "" {
		q = url.Values{"status": {string(status)}}
	}
	var out []*writ.Lookout
	return out, c.do(ctx, http.MethodGet, idPath("/api/cases/%d/lookouts", caseID), q, nil, &out)
}

// Lookout returns one lookout.
func (c *Client) Lookout(ctx context.Context, id int64) (*writ.Lookout, error) {
	var out writ.Lookout
	if err := c.do(ctx, http.MethodGet, idPath("/api/lookouts/%d", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetLookoutStatus pauses ("pause"), resumes ("resume") or ends ("end") a lookout.
func (c *Client) SetLookoutStatus(ctx context.Context, id int64, verb string) (*writ.Lookout, error) {
	var out writ.Lookout
	if err := c.do(ctx, http.MethodPost, idPath("/api/lookouts/%d/%s", id, url.PathEscape(verb)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AlertQuery narrows an alert listing; zero fields: everything of the
// caller's cases.
type AlertQuery struct {
	CaseID, LookoutID, AfterID int64
	Limit                      int
}

func (q AlertQuery) values() url.Values {
	v := url.Values{}
	add := func(k string, n int64) {
		if n > 0 {
			v.Set(k, strconv.FormatInt(n, 10))
		}
	}
	add("case", q.CaseID)
	add("lookout", q.LookoutID)
	add("after", q.AfterID)
	add("limit", int64(q.Limit))
	return v
}

// Alerts lists alerts of the caller's cases.
func (c *Client) Alerts(ctx context.Context, q AlertQuery) ([]*writ.Alert, error) {
	var out []*writ.Alert
	return out, c.do(ctx, http.MethodGet, "/api/alerts", q.values(), nil, &out)
}

// FollowAlerts reads the alert stream (Server-Sent Events) and calls fn
// with each alert until ctx ends or fn fails. A dropped connection is
// reopened after a pause, from the last alert seen, so none is missed.
func (c *Client) FollowAlerts(ctx context.Context, q AlertQuery, fn func(*writ.Alert) error) error {
	stream := *c
	stream.HTTP = &http.Client{} // no overall timeout: the stream stays open
	if c.HTTP != nil {
		stream.HTTP.Transport = c.HTTP.Transport
	}
	for {
		err := stream.followOnce(ctx, &q, fn)
		if ctx.Err() != nil {
			return nil
		}
		if k := writ.ErrorKind(err); err != nil && k != writ.EInternal {
			return err // refused (signed out, not on the roster): retrying will not help
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

func (c *Client) followOnce(ctx context.Context, q *AlertQuery, fn func(*writ.Alert) error) error {
	resp, err := c.send(ctx, http.MethodGet, "/api/alerts/stream", q.values(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var a writ.Alert
		if err := json.Unmarshal([]byte(data), &a); err != nil || a.ID == 0 {
			continue // keepalives and other events
		}
		q.AfterID = a.ID
		if q.LookoutID > 0 && a.LookoutID != q.LookoutID {
			continue // the live stream is by case; the lookout is picked here
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return writ.Errorf(writ.EInternal, "alert stream closed: %v", sc.Err())
}

// DeadLetters lists the webhook deliveries that failed every retry.
func (c *Client) DeadLetters(ctx context.Context) ([]*writ.DeadLetter, error) {
	var out []*writ.DeadLetter
	return out, c.do(ctx, http.MethodGet, "/api/alerts/dead-letters", nil, nil, &out)
}

// RetryDeadLetter tries a dead-lettered webhook delivery again.
func (c *Client) RetryDeadLetter(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, idPath("/api/alerts/dead-letters/%d/retry", id), nil, nil, nil)
}
