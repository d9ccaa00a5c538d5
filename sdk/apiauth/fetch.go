package apiauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxDocumentBytes bounds a metadata or JWKS response; real ones are a few KiB.
const maxDocumentBytes = 1 << 20

// fetchCall is one in-flight fetch that concurrent callers wait on together.
type fetchCall struct {
	done chan struct{}
	err  error
}

// wait blocks until the fetch ends or ctx is done.
func (c *fetchCall) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nextBackoff spaces out attempts after consecutive failures: 1 s, doubling,
// capped at limit.
func nextBackoff(prev, limit time.Duration) time.Duration {
	next := 2 * prev
	if prev == 0 {
		next = time.Second
	}
	return min(next, limit)
}

// getJSON fetches url and decodes its JSON body into v, returning the
// response headers. Errors name the URL but never include the body.
func getJSON(ctx context.Context, client *http.Client, timeout time.Duration, url string, v any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocumentBytes))
		return nil, fmt.Errorf("GET %s: unexpected status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %w", url, err)
	}
	if len(body) > maxDocumentBytes {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", url, maxDocumentBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("GET %s: decoding JSON: %w", url, err)
	}
	return resp.Header, nil
}

// maxAge reads the freshness lifetime from Cache-Control (RFC 9111 §5.2.2):
// max-age=N gives N seconds, no-store or no-cache gives zero; ok is false when
// the header says nothing about it.
func maxAge(h http.Header) (d time.Duration, ok bool) {
	for _, v := range h.Values("Cache-Control") {
		for _, dir := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err == nil && n >= 0 {
					return time.Duration(min(n, int64(365*24*3600))) * time.Second, true
				}
			}
		}
	}
	return 0, false
}

var errNoUsableKeys = errors.New("JWKS holds no usable signing key")
