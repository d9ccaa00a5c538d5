package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestNativeAppOnRandomLoopbackPort is a command-line app as RFC 8252 describes it, written with
// golang.org/x/oauth2 and go-oidc: it registers http://127.0.0.1/callback once, listens on a port
// the OS picks at each run, signs in with PKCE through the system browser (here an HTTP client),
// receives the code on its own listener, redeems it and refreshes.
func TestNativeAppOnRandomLoopbackPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t)
	cli := &domain.Client{ClientID: domain.NewClientID(), Name: "CLI", AppType: domain.AppTypeNative,
		Callbacks: []string{"http://127.0.0.1/callback"}}
	domain.ApplyClientDefaults(cli)
	if err := cli.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := n.Store.CreateClient(ctx, cli); err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}

	for run := 0; run < 2; run++ { // two runs, two ports, one registration
		codes := make(chan string, 1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/callback" && r.URL.Query().Get("state") == "cli-state" {
				select {
				case codes <- r.URL.Query().Get("code"):
				default:
				}
			}
			_, _ = io.WriteString(w, "You can close this window.")
		})}
		go func() { _ = srv.Serve(ln) }()
		cfg := oauth2.Config{ClientID: cli.ClientID, Endpoint: provider.Endpoint(),
			RedirectURL: "http://" + ln.Addr().String() + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess}}
		verifier := oauth2.GenerateVerifier()
		user := n.tenant.Users[0]
		cb := signIn(t, browser(t), cfg.AuthCodeURL("cli-state", oauth2.S256ChallengeOption(verifier), oidc.Nonce("cli-nonce")), user.Email, user.Password)
		if !strings.HasPrefix(cb.String(), cfg.RedirectURL+"?") {
			t.Fatalf("run %d: the browser went to %s, want %s", run, cb, cfg.RedirectURL)
		}
		if resp, _ := get(t, browser(t), cb.String()); resp.StatusCode != 200 {
			t.Fatalf("run %d: the app's listener answered %d", run, resp.StatusCode)
		}
		var code string
		select {
		case code = <-codes:
		case <-ctx.Done():
			t.Fatal("the app received no code")
		}
		_ = srv.Close()

		tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("run %d: exchange: %v", run, err)
		}
		rawID, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&oidc.Config{ClientID: cli.ClientID}).Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("run %d: ID token: %v", run, err)
		}
		if idt.Nonce != "cli-nonce" {
			t.Fatalf("run %d: ID token nonce %q", run, idt.Nonce)
		}
		if tok.RefreshToken == "" {
			t.Fatalf("run %d: no refresh token", run)
		}
		expired := *tok
		expired.Expiry = time.Now().Add(-time.Minute)
		next, err := cfg.TokenSource(ctx, &expired).Token()
		if err != nil || next.AccessToken == "" || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("run %d: refresh: %v", run, err)
		}
	}

	// What only looks like the registered loopback callback is refused on Gatehouse's page.
	for _, bad := range []string{"http://127.0.0.1.evil.test:8080/callback", "http://127.0.0.1:8080@evil.test/callback", "https://127.0.0.1:8080/callback", "http://127.0.0.1:8080/callback/"} {
		cfg := oauth2.Config{ClientID: cli.ClientID, Endpoint: provider.Endpoint(), RedirectURL: bad, Scopes: []string{oidc.ScopeOpenID}}
		resp, page := get(t, browser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, "Callback URL mismatch.") {
			t.Errorf("%s: %d %q", bad, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}
