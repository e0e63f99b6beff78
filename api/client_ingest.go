package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/writhq/writ/ingest"
)

// IngestStream sends body (NDJSON, one event per line) as the next part of a
// stream, numbering its lines from firstSeq; sending the same lines again
// stores nothing twice.
func (c *Client) IngestStream(ctx context.Context, stream, mapping string, basis ingest.Basis, firstSeq int64, body io.Reader) (*StreamResult, error) {
	q := url.Values{"mapping": {mapping}, basis.Kind: {strconv.FormatInt(basis.ID, 10)}}
	u := strings.TrimRight(c.BaseURL, "/") + "/api/ingest/streams/" + url.PathEscape(stream) + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(FirstSeqHeader, strconv.FormatInt(firstSeq, 10))
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
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, responseError(resp)
	}
	var out StreamResult
	return &out, json.NewDecoder(resp.Body).Decode(&out)
}
