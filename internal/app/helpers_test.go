package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// node is a whole Gatehouse node running in-process on a loopback port, seeded as `gatehouse dev` seeds.
type node struct {
	*app.App
	issuer string
	tenant *devtenant.File
}

// startNode starts one node on a fresh SQLite file; configure, when given, adjusts its
// configuration before it starts.
func startNode(t *testing.T, configure ...func(*config.Config)) *node {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := config.Default()
	cfg.Issuer = "http://" + ln.Addr().String() + "/"
	cfg.Addr = ln.Addr().String()
	cfg.Database = filepath.Join(dir, "gatehouse.db")
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	for _, f := range configure {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	fast := password.Hasher{P: password.Fast()}
	a, err := app.New(ctx, cfg, app.Options{Logger: logger, Hasher: fast})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	f, err := devtenant.Seed(ctx, a.Store, devtenant.Options{Issuer: cfg.Issuer, Path: filepath.Join(dir, "dev-tenant.json"),
		ManagementAudience: cfg.Issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(),
		Hasher: fast, Now: time.Now})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("node did not stop")
		}
		a.Close()
	})
	return &node{App: a, issuer: cfg.Issuer, tenant: f}
}

// browser is an HTTP client with a cookie jar that stops at every redirect, so a test sees each hop.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var (
	inputTag  = regexp.MustCompile(`<input[^>]*>`)
	nameAttr  = regexp.MustCompile(`\bname="([^"]*)"`)
	valueAttr = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// formFields returns the named inputs of the first form on a page with their values.
func formFields(page string) url.Values {
	v := url.Values{}
	for _, tag := range inputTag.FindAllString(page, -1) {
		name := nameAttr.FindStringSubmatch(tag)
		if name == nil {
			continue
		}
		value := ""
		if m := valueAttr.FindStringSubmatch(tag); m != nil {
			value = htmlUnescape(m[1])
		}
		v.Set(name[1], value)
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+").Replace(s)
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signIn follows /authorize through the hosted login page and returns the app's callback URL, with
// its code and state.
func signIn(t *testing.T, c *http.Client, authorizeURL, email, pw string) *url.URL {
	t.Helper()
	resp, _ := get(t, c, authorizeURL)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("/authorize: status %d", resp.StatusCode)
	}
	loc, _ := resp.Location()
	if !strings.HasPrefix(loc.Path, "/u/login") {
		return loc // an SSO session answered without the form
	}
	resp, page := get(t, c, loc.String())
	if resp.StatusCode != 200 {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	form := formFields(page)
	form.Set("username", email)
	form.Set("password", pw)
	resp, err := c.PostForm(loc.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login submit: status %d: %s", resp.StatusCode, body)
	}
	cb, _ := resp.Location()
	return cb
}

func jwtPart(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func decodeJWTHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	b, err := jwtPart(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
