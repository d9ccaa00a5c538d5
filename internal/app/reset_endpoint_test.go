package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/passwordreset"
)

// TestChangePasswordEndpoint: auth0-js's call — CORS for the client's own origins only, and its
// refusals.
func TestChangePasswordEndpoint(t *testing.T) {
	n := startNode(t, noResetFloor)
	cb, _ := url.Parse(n.tenant.WebApp.Callback)
	appOrigin := cb.Scheme + "://" + cb.Host
	call := func(origin, body string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", n.issuer+"dbconnections/change_password", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	ok := `{"client_id":"` + n.tenant.WebApp.ClientID + `","email":"someone@example.com","connection":"Username-Password-Authentication"}`
	resp, body := call(appOrigin, ok)
	if resp.StatusCode != 200 || body != "We've just sent you an email to reset your password." ||
		resp.Header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Fatalf("from the app's origin: %d %q ACAO=%q", resp.StatusCode, body, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp, _ := call("https://evil.example", ok); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("another origin may read the answer")
	}
	req, _ := http.NewRequest("OPTIONS", n.issuer+"dbconnections/change_password", nil)
	req.Header.Set("Origin", appOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Methods") != "POST" || pre.Header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Fatalf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	// Both /dbconnections endpoints share the token endpoint's rule: an origin no client registers
	// gets no CORS headers, even on the preflight.
	for _, path := range []string{"dbconnections/change_password", "dbconnections/signup"} {
		for origin, allowed := range map[string]bool{appOrigin: true, "https://evil.example": false, appOrigin + "/": false} {
			req, _ := http.NewRequest("OPTIONS", n.issuer+path, nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			pre, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			pre.Body.Close()
			got := pre.Header.Get("Access-Control-Allow-Origin")
			if pre.StatusCode != 204 || (got == origin) != allowed || (!allowed && (got != "" || pre.Header.Get("Access-Control-Allow-Methods") != "")) {
				t.Fatalf("%s preflight from %s: %d %v", path, origin, pre.StatusCode, pre.Header)
			}
		}
	}

	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"no email", `{"client_id":"` + n.tenant.WebApp.ClientID + `","connection":"Username-Password-Authentication"}`, 400},
		{"no connection", `{"client_id":"` + n.tenant.WebApp.ClientID + `","email":"a@example.com"}`, 400},
		{"other connection", `{"client_id":"` + n.tenant.WebApp.ClientID + `","email":"a@example.com","connection":"google-oauth2"}`, 400},
		{"header injection", `{"client_id":"` + n.tenant.WebApp.ClientID + `","email":"a@example.com\r\nBcc: x@example.com","connection":"Username-Password-Authentication"}`, 400},
		{"unknown client", `{"client_id":"nope","email":"a@example.com","connection":"Username-Password-Authentication"}`, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, body := call("", tc.body); resp.StatusCode != tc.status || !strings.Contains(body, `"error"`) {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestResetRequestFloor: a known and an unknown address both take at least the floor, so the
// write a real request makes does not show in the response time.
func TestResetRequestFloor(t *testing.T) {
	const floor = 300 * time.Millisecond
	n := startNode(t, func(o *app.Options) { o.ResetRequestFloor = floor })
	for _, email := range []string{n.tenant.Users[0].Email, "nobody-here@example.com"} {
		start := time.Now()
		resp, err := http.Post(n.issuer+"dbconnections/change_password", "application/json", strings.NewReader(
			`{"client_id":"`+n.tenant.WebApp.ClientID+`","email":"`+email+`","connection":"Username-Password-Authentication"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if took := time.Since(start); resp.StatusCode != 200 || took < floor || took > floor+2*time.Second {
			t.Errorf("%s: %d after %v; want 200 after about %v", email, resp.StatusCode, took, floor)
		}
	}
}

// TestResetRequestsCapped: a stranger who knows an address cannot fill its inbox; the answer stays
// the same.
func TestResetRequestsCapped(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	email := n.tenant.Users[0].Email
	for i := range passwordreset.MaxLiveResetLinks + 3 {
		resp, err := http.Post(n.issuer+"dbconnections/change_password", "application/json", strings.NewReader(
			`{"client_id":"`+n.tenant.WebApp.ClientID+`","email":"`+email+`","connection":"Username-Password-Authentication"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	waitForMail(t, n, srv, passwordreset.MaxLiveResetLinks)
	for range 5 {
		if _, err := n.Mail.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(srv.Messages()); got != passwordreset.MaxLiveResetLinks {
		t.Fatalf("%d mails sent; want %d", got, passwordreset.MaxLiveResetLinks)
	}
}
