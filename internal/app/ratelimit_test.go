package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
)

func tokenLimit(perMinute int) func(*config.Config) {
	return func(c *config.Config) { c.RateLimits.TokenPerIPPerMinute = perMinute }
}

// TestTokenEndpointPerIPLimit: past the per-address limit the token endpoint answers 429 in the
// OAuth error shape, with Retry-After and Auth0's x-ratelimit headers, before any client check.
func TestTokenEndpointPerIPLimit(t *testing.T) {
	tokenFlood(t, []*node{startNode(t, tokenLimit(5))})
}

// TestTokenEndpointPerIPLimitAcrossNodes: the same requests spread over two nodes on one
// PostgreSQL meet the same limit.
func TestTokenEndpointPerIPLimitAcrossNodes(t *testing.T) {
	tokenFlood(t, startPostgresNodes(t, 2, tokenLimit(5)))
}

func tokenFlood(t *testing.T, nodes []*node) {
	t.Helper()
	m2m := nodes[0].tenant.M2MApp
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {m2m.ClientID},
		"client_secret": {m2m.ClientSecret}, "audience": {nodes[0].tenant.API.Identifier}}
	c := &http.Client{Timeout: 10 * time.Second}
	for i := range 7 {
		resp, err := c.Post(nodes[i%len(nodes)].issuer+"oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		remaining, _ := strconv.Atoi(resp.Header.Get("X-Ratelimit-Remaining"))
		reset, _ := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64)
		if resp.Header.Get("X-Ratelimit-Limit") != "5" || reset < time.Now().Unix() || reset > time.Now().Add(61*time.Second).Unix() {
			t.Fatalf("request %d: rate-limit headers %v", i+1, resp.Header)
		}
		if i < 5 {
			if resp.StatusCode != http.StatusOK || body["access_token"] == nil || remaining != 4-i {
				t.Fatalf("request %d: %d %v remaining %d", i+1, resp.StatusCode, body, remaining)
			}
			continue
		}
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || body["error"] != "too_many_requests" || retry < 1 || retry > 60 || remaining != 0 {
			t.Fatalf("request %d: %d %v Retry-After %q; want 429 too_many_requests", i+1, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
}

func managementLimit(perMinute int) func(*config.Config) {
	return func(c *config.Config) {
		c.RateLimits.ManagementPerClient, c.RateLimits.ManagementWindow = perMinute, time.Minute
	}
}

// TestManagementRateLimit: past the per-client limit the Management API answers 429 with
// Retry-After and Auth0's x-ratelimit headers.
func TestManagementRateLimit(t *testing.T) {
	managementFlood(t, []*node{startNode(t, managementLimit(5))})
}

// TestManagementRateLimitAcrossNodes: one client's calls spread over two nodes on one PostgreSQL
// meet the same limit.
func TestManagementRateLimitAcrossNodes(t *testing.T) {
	managementFlood(t, startPostgresNodes(t, 2, managementLimit(5)))
}

func managementFlood(t *testing.T, nodes []*node) {
	t.Helper()
	bearer := newMgmtClient(t, nodes[0]).bearer
	c := &http.Client{Timeout: 10 * time.Second}
	for i := range 7 {
		req, _ := http.NewRequest(http.MethodGet, nodes[i%len(nodes)].issuer+"api/v2/roles", nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		remaining, _ := strconv.Atoi(resp.Header.Get("X-Ratelimit-Remaining"))
		if resp.Header.Get("X-Ratelimit-Limit") != "5" || resp.Header.Get("X-Ratelimit-Reset") == "" {
			t.Fatalf("request %d: rate-limit headers %v", i+1, resp.Header)
		}
		if i < 5 {
			if resp.StatusCode != http.StatusOK || remaining != 4-i {
				t.Fatalf("request %d: %d remaining %d", i+1, resp.StatusCode, remaining)
			}
			continue
		}
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || body["errorCode"] != "too_many_requests" || retry < 1 || retry > 60 {
			t.Fatalf("request %d: %d %v Retry-After %q; want 429", i+1, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
}
