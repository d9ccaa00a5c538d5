package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"golang.org/x/oauth2/clientcredentials"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type runningDev struct {
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func()
}

// startDev runs `gatehouse dev` in-process on a free port with data in dir, as a user would, with
// any further flags given.
func startDev(t *testing.T, dir string, flags ...string) *runningDev {
	t.Helper()
	return startMain(t, func(string) string { return "" },
		append([]string{"dev", "--addr", "127.0.0.1:0", "--data", dir}, flags...)...)
}

// startMain runs the command args in-process with the environment getenv and returns once it
// listens.
func startMain(t *testing.T, getenv func(string) string, args ...string) *runningDev {
	t.Helper()
	return startMainWithin(t, 60*time.Second, getenv, args...)
}

// startMainWithin is startMain waiting up to limit for the command to listen.
func startMainWithin(t *testing.T, limit time.Duration, getenv func(string) string, args ...string) *runningDev {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	m := &Main{Stdout: out, Stderr: errOut, Getenv: getenv,
		Ready: func(addr string) { ready <- addr }}
	go func() { done <- m.Run(ctx, args) }()
	select {
	case addr := <-ready:
		r := &runningDev{addr: addr, stdout: out, stderr: errOut}
		r.stop = func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s exited with %v", args[0], err)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("%s did not shut down", args[0])
			}
		}
		return r
	case err := <-done:
		cancel()
		t.Fatalf("%s exited before listening: %v", args[0], err)
	case <-time.After(limit):
		cancel()
		t.Fatalf("%s did not start within %s", args[0], limit)
	}
	return nil
}

func caClient(t *testing.T, caPath string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestDevServesTLSAndKeepsCredentials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	dev := startDev(t, dir)

	raw, err := os.ReadFile(filepath.Join(dir, "dev-tenant.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The documented shape of dev-tenant.json: a contract outside tools rely on.
	var shape map[string]any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"issuer", "ca_cert", "web_app.client_id", "web_app.client_secret", "web_app.callback",
		"web_app.logout_url", "api.identifier", "management_api.audience", "management_api.client_id",
		"management_api.client_secret", "m2m_app.client_id", "m2m_app.client_secret", "mailbox",
		"dashboard.url", "dashboard.email", "dashboard.password"} {
		v := any(shape)
		for _, k := range strings.Split(path, ".") {
			v = v.(map[string]any)[k]
		}
		if s, _ := v.(string); s == "" {
			t.Errorf("dev-tenant.json: %s missing or empty", path)
		}
	}
	var tenant struct {
		Issuer string `json:"issuer"`
		CACert string `json:"ca_cert"`
		WebApp struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
			Callback     string `json:"callback"`
		} `json:"web_app"`
		M2M struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		} `json:"m2m_app"`
		Users []struct {
			Email, Password string
			Roles           []string
		} `json:"users"`
	}
	if err := json.Unmarshal(raw, &tenant); err != nil {
		t.Fatal(err)
	}
	if len(tenant.Users) != 2 || tenant.Users[0].Password == "" {
		t.Errorf("users: %+v", tenant.Users)
	}
	_, port, _ := strings.Cut(dev.addr, ":")
	if tenant.Issuer != "https://localhost:"+port+"/" {
		t.Errorf("issuer %q", tenant.Issuer)
	}
	if dash := shape["dashboard"].(map[string]any); dash["url"] != tenant.Issuer+"admin/" ||
		!strings.Contains(dev.stdout.String(), "Dashboard: "+tenant.Issuer+"admin/") ||
		!strings.Contains(dev.stdout.String(), dash["password"].(string)) {
		t.Errorf("dashboard: %v, banner:\n%s", dash, dev.stdout.String())
	}
	for _, want := range []string{"AUTH0_SECRET='", "AUTH0_BASE_URL='http://localhost:3000'",
		"AUTH0_ISSUER_BASE_URL='https://localhost:" + port + "'", "AUTH0_CLIENT_ID='", "AUTH0_CLIENT_SECRET='",
		"AUTH0_AUDIENCE='https://api.yourapp.com'", "NODE_EXTRA_CA_CERTS=" + tenant.CACert,
		"Mail (while no email provider is configured): https://localhost:" + port + "/dev/mailbox"} {
		if !strings.Contains(dev.stdout.String(), want) {
			t.Errorf("banner lacks %q", want)
		}
	}

	// TLS verified with the printed CA, on both names the certificate covers.
	client := caClient(t, tenant.CACert)
	if shape["mailbox"] != "https://localhost:"+port+"/dev/mailbox" {
		t.Errorf("mailbox %v", shape["mailbox"])
	}
	if resp, err := client.Get(shape["mailbox"].(string)); err != nil || resp.StatusCode != 200 {
		t.Errorf("mailbox page: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := client.Get("https://" + host + ":" + port + "/healthz")
		if err != nil {
			t.Fatalf("healthz over TLS via %s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("healthz via %s: %d", host, resp.StatusCode)
		}
	}

	// The root is the dev landing page, without secrets; the banner names a sign-in URL that works.
	resp, err := client.Get(tenant.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	landing, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	webApp := shape["web_app"].(map[string]any)
	if resp.StatusCode != 200 || !strings.Contains(string(landing), webApp["client_id"].(string)) ||
		strings.Contains(string(landing), webApp["client_secret"].(string)) || strings.Contains(string(landing), tenant.Users[0].Password) {
		t.Errorf("dev landing page: %d\n%s", resp.StatusCode, landing)
	}
	if !strings.Contains(dev.stdout.String(), "http://localhost:3000/api/auth/login") {
		t.Error("the banner names no sign-in URL")
	}

	// The machine-to-machine app gets a token for the guide's API that go-jwt-middleware accepts.
	ctx := context.WithValue(context.Background(), oauth2HTTPClient, client)
	cc := clientcredentials.Config{ClientID: tenant.M2M.ClientID, ClientSecret: tenant.M2M.ClientSecret,
		TokenURL: tenant.Issuer + "oauth/token", EndpointParams: url.Values{"audience": {"https://api.yourapp.com"}}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	issuerURL, _ := url.Parse(tenant.Issuer)
	provider := jwks.NewCachingProvider(issuerURL, time.Minute, jwks.WithCustomClient(client))
	v, err := validator.New(provider.KeyFunc, validator.RS256, tenant.Issuer, []string{"https://api.yourapp.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ValidateToken(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("go-jwt-middleware rejected the token: %v", err)
	}
	dev.stop()

	// A second start keeps the data and the same credentials.
	again := startDev(t, dir)
	defer again.stop()
	raw2, _ := os.ReadFile(filepath.Join(dir, "dev-tenant.json"))
	var second map[string]any
	_ = json.Unmarshal(raw2, &second)
	// The management audience follows the issuer, whose port was chosen anew; the credentials stay.
	delete(shape["management_api"].(map[string]any), "audience")
	delete(second["management_api"].(map[string]any), "audience")
	delete(shape["dashboard"].(map[string]any), "url") // follows the issuer too
	delete(second["dashboard"].(map[string]any), "url")
	for _, k := range []string{"web_app", "management_api", "m2m_app", "users", "dashboard"} {
		a, _ := json.Marshal(shape[k])
		b, _ := json.Marshal(second[k])
		if !bytes.Equal(a, b) {
			t.Errorf("%s changed across restarts:\n%s\n%s", k, a, b)
		}
	}
	if strings.Count(again.stdout.String(), "AUTH0_SECRET") != 1 || !strings.Contains(again.stdout.String(), tenant.WebApp.ClientSecret) {
		t.Error("second start printed other credentials")
	}
}

func TestServeRejectsInvalidConfigBeforeListening(t *testing.T) {
	env := map[string]string{
		"GATEHOUSE_ISSUER":     "http://auth.example.com/path",
		"GATEHOUSE_DATABASE":   "mysql://nope",
		"GATEHOUSE_MASTER_KEY": "short",
		"GATEHOUSE_ADDR":       "127.0.0.1:0",
	}
	m := &Main{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, Getenv: func(k string) string { return env[k] },
		Ready: func(string) { t.Error("serve listened with an invalid configuration") }}
	err := m.Run(context.Background(), []string{"serve"})
	if err == nil {
		t.Fatal("serve accepted an invalid configuration")
	}
	for _, want := range []string{"issuer", "database", "master_key"} {
		if !strings.Contains(strings.ToLower(err.Error()), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestMigrateAndVersion(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	out := &syncBuffer{}
	m := &Main{Stdout: out, Stderr: &syncBuffer{}, Getenv: func(k string) string {
		if k == "GATEHOUSE_DATABASE" {
			return db
		}
		return ""
	}}
	if err := m.Run(context.Background(), []string{"migrate"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "database schema at version") {
		t.Errorf("migrate printed %q", out.String())
	}
	if err := m.Run(context.Background(), []string{"version"}); err != nil || !strings.Contains(out.String(), "gatehouse ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	if err := m.Run(context.Background(), []string{"serve", "--bogus"}); err == nil {
		t.Error("unknown flag accepted")
	}
}
