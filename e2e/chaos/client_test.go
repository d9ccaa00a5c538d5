package chaos_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// answer is one response as the load saw it.
type answer struct {
	status int
	body   string
	err    error // no answer at all
}

var httpClient = &http.Client{Timeout: 15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(ctx context.Context, method, u, bearer string, form url.Values, js any) answer {
	var body io.Reader
	ct := ""
	switch {
	case form != nil:
		body, ct = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case js != nil:
		b, _ := json.Marshal(js)
		body, ct = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return answer{err: err}
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return answer{status: resp.StatusCode, body: string(b)}
}

func (a answer) json() map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal([]byte(a.body), &m)
	return m
}

func (a answer) str(k string) string { s, _ := a.json()[k].(string); return s }

// managementClient creates a Management API client with the CLI, as an operator does.
func managementClient(t *testing.T, bin string, env []string) (id, secret string) {
	t.Helper()
	cmd := exec.Command(bin, "clients", "create", "--management", "--name", "chaos", "--config",
		filepath.Join(repoRoot(t), "deploy", "gatehouse.yaml"))
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("clients create: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "client_id:"); ok {
			id = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "client_secret:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("clients create printed no credentials:\n%s", out)
	}
	return id, secret
}

// tenant is what the test configures through the Management API.
type tenant struct {
	issuer             string
	mgmtToken          string
	m2mID, m2mSecret   string
	webID, webSecret   string
	callback, audience string
	users              []string // emails; the password is userPassword
}

const userPassword = "Chaos-Test-Password-9"

func mustOK(t *testing.T, what string, a answer) answer {
	t.Helper()
	if a.err != nil || a.status/100 != 2 {
		t.Fatalf("%s: %d %v %s", what, a.status, a.err, a.body)
	}
	return a
}

func configure(t *testing.T, node, issuer, mgmtID, mgmtSecret string) *tenant {
	t.Helper()
	ctx := context.Background()
	tok := mustOK(t, "management token", do(ctx, "POST", node+"oauth/token", "", url.Values{"grant_type": {"client_credentials"},
		"client_id": {mgmtID}, "client_secret": {mgmtSecret}, "audience": {issuer + "api/v2/"}}, nil)).str("access_token")
	te := &tenant{issuer: issuer, mgmtToken: tok, audience: "https://chaos.example.test", callback: "http://127.0.0.1:5599/callback"}
	api := node + "api/v2/"
	mustOK(t, "create API", do(ctx, "POST", api+"resource-servers", tok, nil, map[string]any{"name": "Chaos API",
		"identifier": te.audience, "allow_offline_access": true, "scopes": []map[string]string{{"value": "read:chaos"}}}))
	m2m := mustOK(t, "create M2M", do(ctx, "POST", api+"clients", tok, nil, map[string]any{"name": "Chaos M2M",
		"app_type": "non_interactive", "grant_types": []string{"client_credentials"}})).json()
	te.m2mID, te.m2mSecret = m2m["client_id"].(string), m2m["client_secret"].(string)
	mustOK(t, "create grant", do(ctx, "POST", api+"client-grants", tok, nil, map[string]any{"client_id": te.m2mID,
		"audience": te.audience, "scope": []string{"read:chaos"}}))
	web := mustOK(t, "create web app", do(ctx, "POST", api+"clients", tok, nil, map[string]any{"name": "Chaos Web",
		"app_type": "regular_web", "callbacks": []string{te.callback}, "grant_types": []string{"authorization_code", "refresh_token"},
		"refresh_token": map[string]any{"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 0,
			"token_lifetime": 86400, "idle_token_lifetime": 3600}})).json()
	te.webID, te.webSecret = web["client_id"].(string), web["client_secret"].(string)
	// Every sign-in comes from the one test address, and Auth0 refuses an account more than 20
	// successful sign-ins a minute from one address (limit_sul): spread the load over enough
	// accounts that none nears it (about 50 sign-ins a run, and the race's 8 after them).
	for i := range 12 {
		email := fmt.Sprintf("chaos-%d@example.test", i)
		mustOK(t, "create user", do(ctx, "POST", api+"users", tok, nil, map[string]any{"connection": "Username-Password-Authentication",
			"email": email, "password": userPassword}))
		te.users = append(te.users, email)
	}
	return te
}

var (
	inputTag  = regexp.MustCompile(`<input[^>]*>`)
	nameAttr  = regexp.MustCompile(`\bname="([^"]*)"`)
	valueAttr = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// signIn runs a browser sign-in through the load balancer (/authorize, the hosted login page) and
// exchanges the code at node; it returns the refresh token, or the first answer that was not the
// expected one.
func signIn(ctx context.Context, te *tenant, node, email string) (string, answer) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := make([]byte, 32)
	_, _ = rand.Read(verifier)
	v := base64.RawURLEncoding.EncodeToString(verifier)
	sum := sha256.Sum256([]byte(v))
	q := url.Values{"response_type": {"code"}, "client_id": {te.webID}, "redirect_uri": {te.callback},
		"scope": {"openid offline_access"}, "audience": {te.audience}, "state": {"s"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	get := func(u string) (*http.Response, answer) {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := c.Do(req)
		if err != nil {
			return nil, answer{err: err}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, answer{status: resp.StatusCode, body: string(b)}
	}
	resp, a := get(te.issuer + "authorize?" + q.Encode())
	if resp == nil || resp.StatusCode != http.StatusFound {
		return "", a
	}
	login, _ := resp.Location()
	resp, a = get(login.String())
	if resp == nil || resp.StatusCode != http.StatusOK {
		return "", a
	}
	form := url.Values{}
	for _, tag := range inputTag.FindAllString(a.body, -1) {
		if n := nameAttr.FindStringSubmatch(tag); n != nil {
			val := ""
			if m := valueAttr.FindStringSubmatch(tag); m != nil {
				val = html.UnescapeString(m[1])
			}
			form.Set(n[1], val)
		}
	}
	form.Set("username", email)
	form.Set("password", userPassword)
	req, _ := http.NewRequestWithContext(ctx, "POST", login.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post, err := c.Do(req)
	if err != nil {
		return "", answer{err: err}
	}
	b, _ := io.ReadAll(post.Body)
	post.Body.Close()
	if post.StatusCode != http.StatusFound {
		return "", answer{status: post.StatusCode, body: string(b)}
	}
	cb, _ := post.Location()
	code := cb.Query().Get("code")
	if !strings.HasPrefix(cb.String(), te.callback) || code == "" {
		return "", answer{status: post.StatusCode, body: "no code in " + cb.Redacted()}
	}
	a = do(ctx, "POST", node+"oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {te.webID},
		"client_secret": {te.webSecret}, "code": {code}, "redirect_uri": {te.callback}, "code_verifier": {v}}, nil)
	if a.status != http.StatusOK || a.str("refresh_token") == "" {
		return "", a
	}
	return a.str("refresh_token"), a
}

func refresh(ctx context.Context, te *tenant, node, rt string) answer {
	return do(ctx, "POST", node+"oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {te.webID},
		"client_secret": {te.webSecret}, "refresh_token": {rt}}, nil)
}
