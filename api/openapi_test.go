package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes checks that every registered route is described,
// and that the document describes no route that does not exist.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	s := NewServer(Config{})
	registered := map[string]bool{}
	for _, route := range s.Routes() {
		method, path, _ := strings.Cut(route, " ")
		path = strings.TrimSuffix(path, "{$}") // the mux's "this path exactly"
		route = method + " " + path
		registered[route] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %q is not in openapi.json", route)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if route := strings.ToUpper(method) + " " + path; !registered[route] {
				t.Errorf("openapi.json describes %q, which is not a route", route)
			}
		}
	}
}

func TestServeOpenAPI(t *testing.T) {
	resp, body := newSQLiteEnv(t).browser().do("GET", "/api/openapi.json", nil, nil)
	if resp.StatusCode != http.StatusOK || !json.Valid(body) || len(body) != len(OpenAPI()) {
		t.Errorf("GET /api/openapi.json = %d, %d bytes, want 200 and the embedded document", resp.StatusCode, len(body))
	}
}

// TestIndex: the server's address answers, without a login, with where to
// go; any other unknown path stays a JSON 404.
func TestIndex(t *testing.T) {
	b := newSQLiteEnv(t).browser() // not logged in
	resp, body := b.do("GET", "/", nil, nil)
	var idx map[string]string
	if err := json.Unmarshal(body, &idx); err != nil || resp.StatusCode != http.StatusOK ||
		idx["openapi"] != "/api/openapi.json" || idx["login"] != "POST /api/login" {
		t.Errorf("GET / = %d, %v, %v; want 200 naming the OpenAPI document and the login", resp.StatusCode, idx, err)
	}
	if resp, _ = b.do("GET", "/nowhere", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nowhere = %d, want 404", resp.StatusCode)
	}
}
