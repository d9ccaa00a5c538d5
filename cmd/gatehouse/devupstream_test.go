package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var hiddenInput = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)

// hiddenFields reads the hidden inputs of the first form on a page that holds marker.
func hiddenFields(page, marker string) url.Values {
	if i := strings.Index(page, marker); i >= 0 {
		if start := strings.LastIndex(page[:i], "<form"); start >= 0 {
			page = page[start:]
		}
		if end := strings.Index(page, "</form>"); end >= 0 {
			page = page[:end]
		}
	}
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// TestDevWithUpstream: `gatehouse dev --upstream` runs a second local tenant and gives the dev
// tenant an "Example OIDC" connection to it; a browser clicks "Continue with Example OIDC" on the
// login page, signs in at the upstream tenant as one of its users and comes back to the guide's
// app with a code, as oidc|example-oidc|<upstream user>. dev-tenant.json names the upstream.
func TestDevWithUpstream(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	// Two tenants seed their users (argon2id, 64 MiB each) before the dev tenant listens: a loaded
	// machine needs more than startDev's minute.
	dev := startMainWithin(t, 4*time.Minute, func(string) string { return "" },
		"dev", "--addr", "127.0.0.1:0", "--data", dir, "--upstream", "127.0.0.1:0")
	defer dev.stop()
	raw, err := os.ReadFile(filepath.Join(dir, "dev-tenant.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tenant struct {
		Issuer string `json:"issuer"`
		CACert string `json:"ca_cert"`
		WebApp struct {
			ClientID string `json:"client_id"`
			Callback string `json:"callback"`
		} `json:"web_app"`
		Upstream struct {
			Issuer, Connection string
			TenantFile         string `json:"tenant_file"`
			Users              []struct{ Email, Password string }
		} `json:"upstream"`
	}
	if err := json.Unmarshal(raw, &tenant); err != nil {
		t.Fatal(err)
	}
	up := tenant.Upstream
	if !strings.HasPrefix(up.Issuer, "http://localhost:") || up.Connection != "example-oidc" || len(up.Users) == 0 || up.TenantFile == "" {
		t.Fatalf("dev-tenant.json upstream: %+v", up)
	}
	if !strings.Contains(dev.stdout.String(), "Continue with Example OIDC") {
		t.Errorf("the banner does not mention the upstream tenant:\n%s", dev.stdout)
	}

	c := caClient(t, tenant.CACert)
	c.Jar, _ = cookiejar.New(nil)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = readBody(&b, resp)
		return resp, b.String()
	}
	post := func(u string, form url.Values) *http.Response {
		t.Helper()
		resp, err := c.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	q := url.Values{"client_id": {tenant.WebApp.ClientID}, "response_type": {"code"}, "redirect_uri": {tenant.WebApp.Callback},
		"scope": {"openid profile email"}, "state": {"s"}}
	resp, _ := get(tenant.Issuer + "authorize?" + q.Encode())
	login, _ := resp.Location()
	_, page := get(login.String())
	if !strings.Contains(page, "Continue with Example OIDC") {
		t.Fatalf("no Example OIDC button on the login page")
	}
	form := hiddenFields(page, `value="example-oidc"`)
	form.Set("connection", "example-oidc")
	resp = post(tenant.Issuer+"u/login/upstream", form)
	toUp, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || toUp == nil || !strings.HasPrefix(toUp.String(), up.Issuer+"authorize?") {
		t.Fatalf("Continue with Example OIDC: %d %v", resp.StatusCode, toUp)
	}
	resp, _ = get(toUp.String())
	upLogin, _ := resp.Location()
	_, page = get(upLogin.String())
	form = hiddenFields(page, `name="password"`)
	form.Set("username", up.Users[0].Email)
	form.Set("password", up.Users[0].Password)
	resp = post(upLogin.String(), form)
	back, _ := resp.Location()
	for back != nil && !strings.HasPrefix(back.String(), tenant.Issuer+"login/callback") && resp.StatusCode == http.StatusFound {
		resp, _ = get(back.String())
		back, _ = resp.Location()
	}
	if back == nil {
		t.Fatalf("the upstream tenant did not send the browser back: %d", resp.StatusCode)
	}
	resp, body := get(back.String())
	cb, _ := resp.Location()
	if cb == nil || !strings.HasPrefix(cb.String(), tenant.WebApp.Callback+"?") || cb.Query().Get("code") == "" {
		t.Fatalf("/login/callback: %d %v %s", resp.StatusCode, cb, body)
	}
}

func readBody(b *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(b, resp.Body) }
