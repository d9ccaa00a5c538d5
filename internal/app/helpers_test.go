package app_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// node is a whole Gatehouse node running in-process on a loopback port, seeded as `gatehouse dev` seeds.
type node struct {
	*app.App
	issuer string
	tenant *devtenant.File
}

// startNode starts one node on a fresh SQLite file. Each option is a func(*config.Config), adjusting
// its configuration, or a func(*app.Options), adjusting how it is built (the development mailbox, say).
func startNode(t testing.TB, opts ...any) *node {
	t.Helper()
	return startNodes(t, filepath.Join(t.TempDir(), "gatehouse.db"), 1, opts...)[0]
}

// startNodeAt is startNode with the node's clock (tokens, sessions, the dashboard's cookies).
func startNodeAt(t *testing.T, now func() time.Time) *node {
	t.Helper()
	return startNode(t, func(o *app.Options) { o.Now = now })
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
