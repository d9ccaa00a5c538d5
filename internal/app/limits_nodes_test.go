package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/guard"
)

// The limits that protect a tenant hold across nodes: the same requests spread round-robin over
// three nodes on one PostgreSQL are refused at the same request as on one node, because every count
// lives in the database the nodes share.

// TestLimitsAcrossThreeNodes compares one node with three for brute-force protection, suspicious
// IP throttling and the Management API's rate limit.
func TestLimitsAcrossThreeNodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, nodes []*node) int
		want int
	}{
		{"brute force: 30 wrong passwords for one account", bruteForceLockAt, guard.DefaultThreshold + 1},
		{"suspicious IP throttling: failed sign-ins across accounts", throttleLockAt, 6},
		{"management rate limit", managementLockAt, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Fresh nodes for each count, so that no scenario spends another's.
			a := tc.run(t, startPostgresNodes(t, 1, managementLimit(20)))
			b := tc.run(t, startPostgresNodes(t, 3, managementLimit(20)))
			if a != tc.want || b != a {
				t.Fatalf("refused first at request %d on one node and %d on three; want %d on both", a, b, tc.want)
			}
			t.Logf("refused first at request %d on one node and on three", a)
		})
	}
}

// onNode is the same client talking to node n.
func (m *mgmtClient) onNode(n *node) *mgmtClient {
	c := *m
	c.base = n.issuer + "api/v2/"
	return &c
}

// passwordGrant posts a password grant for email through node n and returns the status, the OAuth
// error and the Retry-After header.
func passwordGrant(t *testing.T, n *node, email, pw string) (int, string, string) {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {email}, "password": {pw},
		"client_id": {n.tenant.WebApp.ClientID}, "client_secret": {n.tenant.WebApp.ClientSecret}}
	resp, err := http.PostForm(n.issuer+"oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body.Error + ": " + body.Description, resp.Header.Get("Retry-After")
}

// enablePasswordGrant lets the web app use the password grant (through the first node: the
// configuration is shared).
func enablePasswordGrant(t *testing.T, n *node) *mgmtClient {
	t.Helper()
	m := newMgmtClient(t, n)
	if status, body := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{
		"grant_types": []string{"authorization_code", "refresh_token", "client_credentials", "password"}}); status != 200 {
		t.Fatalf("enable the password grant: %d %v", status, body)
	}
	return m
}

// bruteForceLockAt sends 30 wrong passwords for one account, the i-th through node i mod n, and
// returns the number of the first one refused as blocked. Every one after it must be refused too.
func bruteForceLockAt(t *testing.T, nodes []*node) int {
	enablePasswordGrant(t, nodes[0])
	email := nodes[0].tenant.Users[0].Email
	lockedAt := 0
	for i := 1; i <= 30; i++ {
		status, e, retry := passwordGrant(t, nodes[(i-1)%len(nodes)], email, fmt.Sprintf("wrong-Password-%d", i))
		switch {
		case status == http.StatusTooManyRequests && strings.HasPrefix(e, "too_many_attempts: "+guard.MsgBlocked):
			if lockedAt == 0 {
				lockedAt = i
			}
			if retry == "" {
				t.Errorf("attempt %d: 429 without Retry-After", i)
			}
		case lockedAt != 0:
			t.Fatalf("attempt %d after the block at %d: %d %s", i, lockedAt, status, e)
		case status != http.StatusForbidden:
			t.Fatalf("attempt %d: %d %s, want 403 invalid_grant", i, status, e)
		}
	}
	return lockedAt
}

// throttleLockAt lowers suspicious IP throttling's pre-login bucket to 5 attempts a day, then
// tries a different unknown account each time (so brute-force protection never trips) through
// the nodes in turn, and returns the number of the first attempt refused as throttled.
func throttleLockAt(t *testing.T, nodes []*node) int {
	m := enablePasswordGrant(t, nodes[0])
	if status, body := m.do("PATCH", "attack-protection/suspicious-ip-throttling", map[string]any{
		"stage": map[string]any{"pre-login": map[string]any{"max_attempts": 5, "rate": 17_280_000}}}); status != 200 {
		t.Fatalf("configure throttling: %d %v", status, body)
	}
	// Every node reads the settings afresh (its cache lives two seconds).
	time.Sleep(guard.DefaultPolicyTTL + 100*time.Millisecond)
	lockedAt := 0
	for i := 1; i <= 12; i++ {
		status, e, retry := passwordGrant(t, nodes[(i-1)%len(nodes)], fmt.Sprintf("nobody-%d@example.com", i), "wrong-Password-1")
		switch {
		case status == http.StatusTooManyRequests && strings.HasPrefix(e, "too_many_attempts: "+guard.MsgSuspiciousIP):
			if lockedAt == 0 {
				lockedAt = i
			}
			if n, _ := strconv.Atoi(retry); n < 1 {
				t.Errorf("attempt %d: Retry-After %q", i, retry)
			}
		case lockedAt != 0:
			t.Fatalf("attempt %d after the throttle at %d: %d %s", i, lockedAt, status, e)
		case status != http.StatusForbidden:
			t.Fatalf("attempt %d: %d %s, want 403 invalid_grant", i, status, e)
		}
	}
	// The address is reported blocked by every node, and one unblock lifts it everywhere.
	for _, n := range nodes {
		if status, _ := m.onNode(n).do("GET", "anomaly/blocks/ips/127.0.0.1", nil); status != 200 {
			t.Errorf("node %s: anomaly check %d, want 200 (blocked)", n.issuer, status)
		}
	}
	if status, _ := m.onNode(nodes[len(nodes)-1]).do("DELETE", "anomaly/blocks/ips/127.0.0.1", nil); status != 204 {
		t.Fatalf("unblock: %d", status)
	}
	for _, n := range nodes {
		if status, e, _ := passwordGrant(t, n, "someone@example.com", "wrong-Password-1"); status != http.StatusForbidden {
			t.Errorf("node %s after the unblock: %d %s", n.issuer, status, e)
		}
	}
	waitLogCount(t, nodes[0], "limit_mu", 1) // the tenant log is written in batches, just after the answer
	if status, logs := m.do("GET", "logs?q=type:limit_mu", nil); status != 200 || len(logs["list"].([]any)) != 1 {
		t.Errorf("limit_mu events: %d %v, want exactly one for the block", status, logs)
	}
	return lockedAt
}

// managementLockAt spreads one client's Management API calls over the nodes and returns the
// number of the first one refused with 429.
func managementLockAt(t *testing.T, nodes []*node) int {
	bearer := newMgmtClient(t, nodes[0]).bearer
	c := &http.Client{Timeout: 10 * time.Second}
	lockedAt := 0
	for i := 1; i <= 30; i++ {
		req, _ := http.NewRequest(http.MethodGet, nodes[(i-1)%len(nodes)].issuer+"api/v2/roles", nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			if lockedAt == 0 {
				lockedAt = i
			}
			if resp.Header.Get("Retry-After") == "" || resp.Header.Get("X-Ratelimit-Remaining") != "0" {
				t.Errorf("request %d: 429 headers %v", i, resp.Header)
			}
		} else if lockedAt != 0 {
			t.Fatalf("request %d after the limit at %d: %d", i, lockedAt, resp.StatusCode)
		}
	}
	return lockedAt
}
