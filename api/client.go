package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
)

// Client calls a writ server with an API token. Error responses come back as
// *writ.Error with the kind, rule and message the server sent, so a caller
// can show exactly what the server said.
type Client struct {
	BaseURL string       // e.g. https://writ.example.org
	Token   string       // API token, sent as Authorization: Bearer
	HTTP    *http.Client // nil: a client with a 60-second timeout
}

// NewClient returns a client for the server at baseURL.
func NewClient(baseURL, token string) *Client {
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

var defaultHTTP = &http.Client{Timeout: 60 * time.Second}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns the response if it succeeded; an error
// response is turned into a *writ.Error.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, responseError(resp)
}

// responseError turns an error response back into the *writ.Error the
// server wrote.
func responseError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error == "" {
		msg := strings.TrimSpace(string(b))
		if msg == "" || len(msg) > 200 {
			msg = resp.Status
		}
		return &writ.Error{Kind: kindOfStatus(resp.StatusCode), Message: msg}
	}
	return &writ.Error{Kind: eb.Error, Rule: eb.Rule, Message: eb.Message}
}

func idPath(format string, ids ...any) string { return fmt.Sprintf(format, ids...) }

// Health checks that the server is up.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, nil)
}

// Login signs in with a username and password and returns a new API token
// (in LoginResponse.Token), named tokenName. It does not set c.Token.
func (c *Client) Login(ctx context.Context, username, password, tokenName string) (*LoginResponse, error) {
	var out LoginResponse
	err := c.do(ctx, http.MethodPost, "/api/login", nil,
		LoginRequest{Username: username, Password: password, Token: true, TokenName: tokenName}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout revokes the token the client uses.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/logout", nil, nil, nil)
}

// Me returns the signed-in user.
func (c *Client) Me(ctx context.Context) (*writ.User, error) {
	var out MeResponse
	if err := c.do(ctx, http.MethodGet, "/api/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}

// ChangePassword changes the signed-in user's own password.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	return c.do(ctx, http.MethodPut, "/api/me/password", nil, PasswordChange{Current: current, New: next}, nil)
}

// CreateToken makes a new API token; its secret is in Token.Secret, shown only now.
func (c *Client) CreateToken(ctx context.Context, name string, expiresInDays int) (*Token, error) {
	var out Token
	if err := c.do(ctx, http.MethodPost, "/api/tokens", nil, TokenRequest{Name: name, ExpiresInDays: expiresInDays}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Tokens lists the signed-in user's API tokens.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	return out, c.do(ctx, http.MethodGet, "/api/tokens", nil, nil, &out)
}

// RevokeToken deletes one of the signed-in user's API tokens by its id.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/tokens/"+url.PathEscape(id), nil, nil, nil)
}

// Users lists all users (admins).
func (c *Client) Users(ctx context.Context) ([]*writ.User, error) {
	var out []*writ.User
	return out, c.do(ctx, http.MethodGet, "/api/users", nil, nil, &out)
}

// CreateUser creates a user (admins).
func (c *Client) CreateUser(ctx context.Context, u NewUser) (*writ.User, error) {
	var out writ.User
	if err := c.do(ctx, http.MethodPost, "/api/users", nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateUser changes a user's display name, role, active flag or password (admins).
func (c *Client) UpdateUser(ctx context.Context, id int64, p UserPatch) (*writ.User, error) {
	var out writ.User
	if err := c.do(ctx, http.MethodPatch, "/api/users/"+strconv.FormatInt(id, 10), nil, p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
