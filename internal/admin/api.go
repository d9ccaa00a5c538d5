package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
)

// maxAPIResponse bounds what the dashboard reads of one Management API answer.
const maxAPIResponse = 8 << 20

// APIError is a Management API error answer, in Auth0's shape. Its Message is the API's own and
// is what the dashboard shows.
type APIError struct {
	StatusCode int    `json:"statusCode"`
	Err        string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.StatusCode, e.Err, e.Message) }

// api calls the Management API with one signed-in person's token.
type api struct {
	client   *http.Client
	base     string // the issuer followed by api/v2/
	token    string
	clientIP netip.Addr // the person's address, so that sapi events carry it rather than the node's
}

// Get reads path (relative to /api/v2/) into out: the Getter the checklist reads a tenant through.
func (a *api) Get(ctx context.Context, path string, out any) error {
	return a.do(ctx, "GET", path, nil, out)
}

// do sends method path (relative to /api/v2/) with body as JSON (nil for none) and decodes a
// successful answer into out (nil to discard). A non-2xx answer is an *APIError.
func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Gatehouse dashboard")
	if a.clientIP.IsValid() {
		req.RemoteAddr = netip.AddrPortFrom(a.clientIP, 0).String()
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{StatusCode: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}
