package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestDeviceFlowOAuth2: golang.org/x/oauth2's DeviceAuth and DeviceAccessToken, a client nobody
// here wrote, against a real node: the device polls (authorization_pending) while the user enters
// the code at verification_uri_complete, signs in, confirms the app; the device then gets tokens,
// the API's scopes decided by RBAC as in the code flow.
func TestDeviceFlowOAuth2(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	status, created := m.do("POST", "clients", map[string]any{"name": "Living Room TV", "app_type": "native",
		"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}})
	if status != http.StatusCreated {
		t.Fatalf("create client: %d %v", status, created)
	}
	cfg := oauth2.Config{ClientID: created["client_id"].(string), Scopes: []string{"openid", "profile", "offline_access", "read:own_data", "admin:read"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: n.issuer + "oauth/device/code", TokenURL: n.issuer + "oauth/token"}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("audience", "https://api.yourapp.com"))
	if err != nil {
		t.Fatal(err)
	}
	if da.VerificationURI != n.issuer+"activate" || da.Interval != 5 || da.Expiry.IsZero() {
		t.Fatalf("device auth %+v", da)
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	polled := make(chan result, 1)
	go func() {
		tok, err := cfg.DeviceAccessToken(ctx, da)
		polled <- result{tok, err}
	}()

	user := n.tenant.Users[1] // the seeded user with the "user" role: read:own_data only
	c := browser(t)
	resp, page := get(t, c, da.VerificationURIComplete)
	if resp.StatusCode != 200 || !strings.Contains(page, da.UserCode) {
		t.Fatalf("activate page: %d", resp.StatusCode)
	}
	resp = postForm(t, c, n.issuer+"activate", formFields(page))
	login := n.issuer + strings.TrimPrefix(resp.Header.Get("Location"), "/")
	_, page = get(t, c, login)
	form := formFields(page)
	form.Set("username", user.Email)
	form.Set("password", user.Password)
	resp = postForm(t, c, login, form)
	confirm := n.issuer + strings.TrimPrefix(resp.Header.Get("Location"), "/")
	_, page = get(t, c, confirm)
	if !strings.Contains(page, "Living Room TV") || !strings.Contains(page, da.UserCode) {
		t.Fatalf("confirmation page does not name the app and the code: %s", page)
	}
	form = formFields(page)
	form.Set("decision", "confirm")
	if resp := postForm(t, c, confirm, form); resp.StatusCode != 200 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}

	r := <-polled
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.tok.RefreshToken == "" || r.tok.Extra("id_token") == nil || r.tok.Extra("scope") != "openid profile offline_access read:own_data" {
		t.Fatalf("token %+v scope %v", r.tok, r.tok.Extra("scope"))
	}
	// The device code is spent.
	if _, err := cfg.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
		oauth2.SetAuthURLParam("device_code", da.DeviceCode)); err == nil {
		t.Fatal("a spent device code gave tokens again")
	}
}

func postForm(t *testing.T, c *http.Client, u string, form map[string][]string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	resp.Body.Close()
	return resp
}
