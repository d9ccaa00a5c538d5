package app_test

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/config"
)

func getStatus(t *testing.T, u, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadiness: /readyz is 200 on a running node, 503 once its database schema is not the one the
// binary was built for, and 503 once the database is gone, while /healthz stays 200 throughout.
func TestReadiness(t *testing.T) {
	n := startNode(t)
	if status, body := getStatus(t, n.issuer+"readyz", ""); status != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("readyz: %d %s", status, body)
	}
	db := n.Store.(interface{ DB() *sql.DB }).DB()
	_, known, err := n.Store.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Another node, newer, migrated past this binary.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	if status, body := getStatus(t, n.issuer+"readyz", ""); status != 503 || strings.Contains(body, "version") {
		t.Errorf("readyz with a newer schema: %d %s, want 503 without detail", status, body)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = $1`, known+1); err != nil {
		t.Fatal(err)
	}
	if status, _ := getStatus(t, n.issuer+"readyz", ""); status != 200 {
		t.Errorf("readyz after the schema is back: %d", status)
	}
	n.Store.Close()
	if status, _ := getStatus(t, n.issuer+"readyz", ""); status != 503 {
		t.Errorf("readyz without a database: %d, want 503", status)
	}
	if status, _ := getStatus(t, n.issuer+"healthz", ""); status != 200 {
		t.Errorf("healthz without a database: %d, want 200 (alive)", status)
	}
}

// TestMetricsEndpoint: /metrics is not served on the main address by default; with a token it
// answers only to that token and counts tokens issued, sign-ins by outcome and rate-limit refusals;
// with an address of its own it serves there.
func TestMetricsEndpoint(t *testing.T) {
	plain := startNode(t)
	if status, _ := getStatus(t, plain.issuer+"metrics", ""); status != http.StatusNotFound {
		t.Errorf("/metrics by default: %d, want 404", status)
	}

	const token = "metrics-token-0123456789"
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := "127.0.0.1:" + port
	n := startNode(t, tokenLimit(2), func(c *config.Config) {
		c.Metrics = config.MetricsConfig{Token: token, Addr: metricsAddr}
	})
	m2m := n.tenant.M2MApp
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {m2m.ClientID},
		"client_secret": {m2m.ClientSecret}, "audience": {n.tenant.API.Identifier}}
	for range 3 { // two tokens, then the per-address limit
		resp, err := http.PostForm(n.issuer+"oauth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if status, _ := getStatus(t, n.issuer+"metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", status)
	}
	status, body := getStatus(t, n.issuer+"metrics", token)
	if status != 200 {
		t.Fatalf("/metrics with the token: %d", status)
	}
	for _, want := range []string{
		`gatehouse_tokens_issued_total{client_id="` + m2m.ClientID + `",grant_type="client_credentials"} 2`,
		`gatehouse_rate_limited_total{limit="token_ip"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	status, body = getStatus(t, "http://"+metricsAddr+"/metrics", "")
	if status != 200 || !strings.Contains(body, "gatehouse_tokens_issued_total") {
		t.Errorf("metrics address: %d", status)
	}
}

// TestSignInMetrics: wrong passwords and a success are counted by outcome.
func TestSignInMetrics(t *testing.T) {
	const token = "metrics-token-0123456789"
	n := startNode(t, func(c *config.Config) { c.Metrics.Token = token })
	u := n.tenant.Users[1]
	if status := postLogin(t, n, u.Email, "wrong-Password-1"); status != http.StatusBadRequest {
		t.Fatalf("wrong password: %d", status)
	}
	signInWithAPI(t, n, u.Email, u.Password)
	_, body := getStatus(t, n.issuer+"metrics", token)
	for _, want := range []string{`gatehouse_signins_total{outcome="wrong_password"} 1`, `gatehouse_signins_total{outcome="success"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// postLogin starts a sign-in at n and posts the login form once; it returns the status.
func postLogin(t *testing.T, n *node, email, pw string) int {
	t.Helper()
	c := browser(t)
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	resp, _ := get(t, c, cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	loginURL, _ := resp.Location()
	_, page := get(t, c, loginURL.String())
	form := formFields(page)
	form.Set("username", email)
	form.Set("password", pw)
	resp, err := c.Post(loginURL.String(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// TestOperationalMetrics: /metrics shows the Actions' durations and failures, the store's latency
// and connection pools, and the mail queue.
func TestOperationalMetrics(t *testing.T) {
	const token = "metrics-token-0123456789"
	n := startNode(t, func(c *config.Config) { c.Metrics.Token = token })
	m := newMgmtClient(t, n)
	id := m.deployAction("Throws", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  throw new Error("broken on purpose");
};`)
	m.bind("credentials-exchange", id)
	m2m := n.tenant.M2MApp
	resp, err := http.PostForm(n.issuer+"oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {m2m.ClientID},
		"client_secret": {m2m.ClientSecret}, "audience": {n.tenant.API.Identifier}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a token despite a failing credentials-exchange Action")
	}
	u := n.tenant.Users[1]
	signInWithAPI(t, n, u.Email, u.Password) // runs the seeded post-login Action
	_, body := getStatus(t, n.issuer+"metrics", token)
	for _, want := range []string{
		`gatehouse_action_failures_total{trigger="credentials-exchange"} 1`,
		`gatehouse_action_duration_seconds_count{trigger="credentials-exchange"} 1`,
		`gatehouse_action_duration_seconds_count{trigger="post-login"} 1`,
		`gatehouse_store_duration_seconds_count{kind="read"}`,
		`gatehouse_store_duration_seconds_count{kind="transaction"}`,
		`go_sql_open_connections{db_name="write"}`,
		`go_sql_open_connections{db_name="read"}`,
		`gatehouse_mail_queue_depth 0`,
		`gatehouse_mail_queue_oldest_age_seconds 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
