package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// brokerApp is the application signing in at the downstream node with coreos/go-oidc and
// golang.org/x/oauth2, asking for a connection.
type brokerApp struct {
	t        *testing.T
	n        *node
	provider *oidc.Provider
	cfg      oauth2.Config
	verifier string
}

func newBrokerApp(t *testing.T, n *node) *brokerApp {
	p, err := oidc.NewProvider(context.Background(), n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	return &brokerApp{t: t, n: n, provider: p, cfg: oauthConfig(n, p), verifier: oauth2.GenerateVerifier()}
}

// authorize starts a sign-in for connection and returns where the node sends the browser.
func (a *brokerApp) authorize(c *http.Client, connection string) *url.URL {
	a.t.Helper()
	resp, _ := get(a.t, c, a.cfg.AuthCodeURL("app-state", oauth2.S256ChallengeOption(a.verifier), oidc.Nonce("app-nonce"),
		oauth2.SetAuthURLParam("connection", connection)))
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil {
		a.t.Fatalf("/authorize?connection=%s: %d", connection, resp.StatusCode)
	}
	return loc
}

// finish follows the provider's answer at /login/callback to the application's callback.
func (a *brokerApp) finish(c *http.Client, callback string) *url.URL {
	a.t.Helper()
	resp, body := get(a.t, c, callback)
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil {
		a.t.Fatalf("/login/callback: %d %s", resp.StatusCode, body)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != devtenant.Callback {
		a.t.Fatalf("/login/callback sent the browser to %s", loc)
	}
	return loc
}

// idToken exchanges the app's code and verifies the ID token as the app does.
func (a *brokerApp) idToken(cb *url.URL) map[string]any {
	a.t.Helper()
	if cb.Query().Get("code") == "" {
		a.t.Fatalf("no code: %s", cb)
	}
	tok, err := a.cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		a.t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := a.provider.Verifier(&oidc.Config{ClientID: a.cfg.ClientID}).Verify(context.Background(), raw)
	if err != nil {
		a.t.Fatal(err)
	}
	var claims map[string]any
	_ = idt.Claims(&claims)
	if claims["nonce"] != "app-nonce" {
		a.t.Errorf("nonce %v", claims["nonce"])
	}
	return claims
}

func usersByEmail(t *testing.T, m *mgmtClient, email string) []map[string]any {
	t.Helper()
	status, out := m.do("GET", "users-by-email?email="+url.QueryEscape(email), nil)
	if status != http.StatusOK {
		t.Fatalf("users-by-email: %d %v", status, out)
	}
	var users []map[string]any
	for _, u := range out["list"].([]any) {
		users = append(users, u.(map[string]any))
	}
	return users
}

// TestSignInThroughUpstreamGatehouse: a second Gatehouse instance is the enterprise OIDC provider.
// The app asks the downstream node for connection=acme; the user signs in at the upstream node's
// own login form; the downstream node verifies the upstream ID token and issues its own tokens for
// oidc|acme|<upstream sub>. The downstream node's local user with the same email is untouched (no
// automatic linking), and the Action sees the connection and the identity.
func TestSignInThroughUpstreamGatehouse(t *testing.T) {
	up := startNode(t)
	down := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	upM, downM := newMgmtClient(t, up), newMgmtClient(t, down)

	status, client := upM.do("POST", "clients", map[string]any{"name": "Downstream", "app_type": "regular_web",
		"callbacks": []string{down.issuer + "login/callback"}, "token_endpoint_auth_method": "client_secret_basic",
		"grant_types": []string{"authorization_code"}})
	if status != http.StatusCreated {
		t.Fatalf("upstream client: %d %v", status, client)
	}
	conn := map[string]any{"name": "acme", "strategy": "oidc", "display_name": "Acme SSO", "show_as_button": true,
		"enabled_clients": []string{down.tenant.WebApp.ClientID},
		"options": map[string]any{"discovery_url": up.issuer + ".well-known/openid-configuration", "client_id": client["client_id"],
			"client_secret": client["client_secret"], "scope": "openid profile email", "type": "back_channel", "domain_aliases": []string{"acme.example"}}}

	// A node outside development refuses an upstream on loopback or over plain http.
	onUp := map[string]any{}
	for k, v := range conn {
		onUp[k] = v
	}
	onUp["enabled_clients"] = []string{up.tenant.WebApp.ClientID}
	if status, out := upM.do("POST", "connections", onUp); status != http.StatusBadRequest || !strings.Contains(out["message"].(string), "discovery_url") {
		t.Fatalf("loopback upstream outside development: %d %v", status, out)
	}
	status, created := downM.do("POST", "connections", conn)
	if status != http.StatusCreated {
		t.Fatalf("create oidc connection: %d %v", status, created)
	}
	raw, _ := json.Marshal(created)
	if strings.Contains(string(raw), client["client_secret"].(string)) || strings.Contains(string(raw), "secret_sealed") {
		t.Fatalf("the client secret is shown: %s", raw)
	}
	if created["show_as_button"] != true || created["options"].(map[string]any)["discovery_url"] == nil {
		t.Errorf("created %v", created)
	}

	// The Action sees the connection and the identity.
	action := downM.deployAction("connection claims", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://t/connection", event.connection.name + ":" + event.connection.strategy);
  api.idToken.setCustomClaim("https://t/identity", event.user.identities[0].provider + ":" + event.user.identities[0].connection + ":" + event.user.identities[0].isSocial);
  api.idToken.setCustomClaim("https://t/method", event.authentication.methods[0].name);
};`)
	downM.bind("post-login", action)

	admin := up.tenant.Users[0]
	localBefore := usersByEmail(t, downM, admin.Email)
	if len(localBefore) != 1 {
		t.Fatalf("downstream users with %s: %v", admin.Email, localBefore)
	}

	appl := newBrokerApp(t, down)
	signInUpstream := func() map[string]any {
		// A browser keeps cookies per host, not per port: the two nodes get a jar each, as two
		// hosts would.
		downJar, upJar := browser(t), browser(t)
		toUp := appl.authorize(downJar, "acme")
		if !strings.HasPrefix(toUp.String(), up.issuer+"authorize?") || toUp.Query().Get("code_challenge_method") != "S256" || toUp.Query().Get("nonce") == "" {
			t.Fatalf("not sent upstream with PKCE and a nonce: %s", toUp)
		}
		back := signIn(t, upJar, toUp.String(), admin.Email, admin.Password)
		if !strings.HasPrefix(back.String(), down.issuer+"login/callback?") {
			t.Fatalf("upstream answered to %s", back)
		}
		return appl.idToken(appl.finish(downJar, back.String()))
	}
	id := signInUpstream()
	sub, _ := id["sub"].(string)
	if !strings.HasPrefix(sub, "oidc|acme|") || sub == localBefore[0]["user_id"] || id["email"] != admin.Email {
		t.Fatalf("ID token sub %v email %v", id["sub"], id["email"])
	}
	if id["https://t/connection"] != "acme:oidc" || id["https://t/identity"] != "oidc:acme:false" || id["https://t/method"] != "federated" {
		t.Errorf("Action saw %v, %v, %v", id["https://t/connection"], id["https://t/identity"], id["https://t/method"])
	}

	// No takeover: the local user is the same, and the upstream one is a second user.
	users := usersByEmail(t, downM, admin.Email)
	if len(users) != 2 {
		t.Fatalf("users with %s after the upstream sign-in: %v", admin.Email, users)
	}
	var upstreamUser map[string]any
	for _, u := range users {
		if u["user_id"] == sub {
			upstreamUser = u
		} else if u["user_id"] != localBefore[0]["user_id"] || u["name"] != localBefore[0]["name"] {
			t.Errorf("local user changed: %v", u)
		}
	}
	ids, _ := upstreamUser["identities"].([]any)
	if len(ids) != 1 {
		t.Fatalf("identities %v", upstreamUser["identities"])
	}
	ident := ids[0].(map[string]any)
	if ident["provider"] != "oidc" || ident["connection"] != "acme" || ident["isSocial"] != false || ident["user_id"] != strings.TrimPrefix(sub, "oidc|") {
		t.Errorf("identity %v", ident)
	}

	// The profile is updated at the next sign-in.
	upAdmin := usersByEmail(t, upM, admin.Email)[0]
	if status, out := upM.do("PATCH", "users/"+url.PathEscape(upAdmin["user_id"].(string)), map[string]any{"name": "Ada Renamed"}); status != http.StatusOK {
		t.Fatalf("rename upstream: %d %v", status, out)
	}
	if id := signInUpstream(); id["sub"] != sub || id["name"] != "Ada Renamed" {
		t.Errorf("second sign-in: sub %v name %v", id["sub"], id["name"])
	}

	// A forged state is refused on Gatehouse's own page; the transaction is not used up, and a
	// replay of a used answer is refused too.
	downJar, upJar := browser(t), browser(t)
	toUp := appl.authorize(downJar, "acme")
	back := signIn(t, upJar, toUp.String(), admin.Email, admin.Password)
	forged := *back
	q := forged.Query()
	txID, _, _ := strings.Cut(q.Get("state"), ".")
	q.Set("state", txID+".forged")
	forged.RawQuery = q.Encode()
	if resp, body := get(t, downJar, forged.String()); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no longer valid") {
		t.Fatalf("forged state: %d", resp.StatusCode)
	}
	// The same answer from another browser is refused (the transaction is bound to the browser).
	if resp, _ := get(t, browser(t), back.String()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("answer in another browser: %d", resp.StatusCode)
	}
	appl.finish(downJar, back.String())
	if resp, _ := get(t, downJar, back.String()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed answer: %d", resp.StatusCode)
	}

	// The provider's own error goes to the app's callback as Auth0 sends it.
	downJar = browser(t)
	toUp = appl.authorize(downJar, "acme")
	denied := down.issuer + "login/callback?error=access_denied&error_description=" + url.QueryEscape("User said no") + "&state=" + url.QueryEscape(toUp.Query().Get("state"))
	cb := appl.finish(downJar, denied)
	if cb.Query().Get("error") != "access_denied" || cb.Query().Get("error_description") != "User said no" || cb.Query().Get("state") != "app-state" {
		t.Errorf("upstream denial: %s", cb)
	}

	// A provider that is down: temporarily_unavailable at the app's callback, not a 500.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	conn["name"], conn["options"].(map[string]any)["discovery_url"] = "dead", dead+".well-known/openid-configuration"
	if status, out := downM.do("POST", "connections", conn); status != http.StatusCreated {
		t.Fatalf("create dead connection: %d %v", status, out)
	}
	downJar = browser(t)
	cb = appl.authorize(downJar, "dead")
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != devtenant.Callback || cb.Query().Get("error") != "temporarily_unavailable" {
		t.Errorf("provider down: %s", cb)
	}

	// The refusals created nobody and are in the tenant log.
	if users := usersByEmail(t, downM, admin.Email); len(users) != 2 {
		t.Errorf("users after the refusals: %v", users)
	}
	status, logs := downM.do("GET", "logs?per_page=100", nil)
	found := map[string]bool{}
	for _, l := range logs["list"].([]any) {
		e := l.(map[string]any)
		if e["type"] == "f" {
			found[e["description"].(string)] = true
		}
	}
	for _, want := range []string{"Upstream state mismatch", "User said no", "The identity provider could not be reached. Please try again later."} {
		if !found[want] {
			t.Errorf("no tenant log entry %q (status %d, failures %v)", want, status, found)
		}
	}

	// Home realm discovery: with example.com among acme's domain_aliases, the login form sends
	// admin@example.com to acme without checking a password. The PATCH replaces options without
	// client_secret: the sealed secret is kept (the code exchange below needs it).
	connID, _ := created["id"].(string)
	opts := conn["options"].(map[string]any)
	opts["discovery_url"], opts["domain_aliases"] = up.issuer+".well-known/openid-configuration", []string{"example.com"}
	delete(opts, "client_secret")
	if status, out := downM.do("PATCH", "connections/"+connID, map[string]any{"options": opts}); status != http.StatusOK {
		t.Fatalf("patch domain aliases: %d %v", status, out)
	}
	if status, out := downM.do("GET", "connections?domain_alias=example.com", nil); status != http.StatusOK ||
		len(out["list"].([]any)) != 1 || out["list"].([]any)[0].(map[string]any)["name"] != "acme" {
		t.Fatalf("connections by domain alias: %d %v", status, out)
	}
	if status, out := downM.do("GET", "connections?domain_alias=other.example", nil); status != http.StatusOK || len(out["list"].([]any)) != 0 {
		t.Fatalf("connections by another domain alias: %d %v", status, out)
	}
	downJar, upJar = browser(t), browser(t)
	resp, _ := get(t, downJar, appl.cfg.AuthCodeURL("app-state", oauth2.S256ChallengeOption(appl.verifier), oidc.Nonce("app-nonce")))
	loginURL, _ := resp.Location()
	_, page := get(t, downJar, loginURL.String())
	form := formFields(page)
	form.Set("username", "Admin@Example.com")
	resp, err := downJar.PostForm(loginURL.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	toUp, _ = resp.Location()
	if resp.StatusCode != http.StatusFound || toUp == nil || !strings.HasPrefix(toUp.String(), up.issuer+"authorize?") ||
		toUp.Query().Get("login_hint") != "admin@example.com" {
		t.Fatalf("home realm discovery: %d %v", resp.StatusCode, toUp)
	}
	back = signIn(t, upJar, toUp.String(), admin.Email, admin.Password)
	if id := appl.idToken(appl.finish(downJar, back.String())); id["sub"] != sub {
		t.Errorf("home realm discovery signed in %v", id["sub"])
	}

	// An unknown or disabled connection is refused at /authorize.
	resp, _ = get(t, browser(t), appl.cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("connection", "nope")))
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("unknown connection: %v", loc)
	}
}

// gitHub is a GitHub-shaped OAuth 2.0 provider on loopback: an authorize endpoint that approves at
// once, a token endpoint that checks the client secret and the PKCE verifier and answers
// form-encoded as GitHub does, and /user.
type gitHub struct {
	srv        *httptest.Server
	mu         sync.Mutex
	challenges map[string]string // code → challenge
	profile    map[string]any
}

func newGitHub(t *testing.T) *gitHub {
	// GitHub leaves a private address out of /user; /user/emails names the primary one.
	g := &gitHub{challenges: map[string]string{}, profile: map[string]any{"id": 4242, "login": "octo", "name": "Octo Cat",
		"email": nil, "avatar_url": "https://avatars.example/octo.png"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := "code-" + q.Get("code_challenge")[:8]
		g.mu.Lock()
		g.challenges[code] = q.Get("code_challenge")
		g.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		challenge := g.challenges[r.PostFormValue("code")]
		delete(g.challenges, r.PostFormValue("code"))
		g.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if r.PostFormValue("client_id") != "gh-id" || r.PostFormValue("client_secret") != "gh-secret" || challenge == "" ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = w.Write([]byte("error=bad_verification_code"))
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte("access_token=gho_test&token_type=bearer&scope=read%3Auser"))
	})
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_test" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		_ = json.NewEncoder(w).Encode(g.profile)
	})
	mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_test" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode([]map[string]any{{"email": "octo@users.example", "primary": false, "verified": true},
			{"email": "admin@example.com", "primary": true, "verified": true}})
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func createGitHubConnection(t *testing.T, m *mgmtClient, n *node, g *gitHub) {
	t.Helper()
	status, out := m.do("POST", "connections", map[string]any{"name": "github", "strategy": "github",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options": map[string]any{"client_id": "gh-id", "client_secret": "gh-secret",
			"authorizationURL": g.srv.URL + "/login/oauth/authorize", "tokenURL": g.srv.URL + "/login/oauth/access_token",
			"profileURL": g.srv.URL + "/user"}})
	if status != http.StatusCreated {
		t.Fatalf("create github connection: %d %v", status, out)
	}
}

// TestSignInThroughGitHubShapedProvider: the github preset with its URLs pointed at loopback;
// github|<id> with an isSocial identity and the mapped profile, its primary address from
// /user/emails; the local user with the same email is not taken over, even though GitHub says the
// address is verified (Gatehouse never links accounts on its own).
func TestSignInThroughGitHubShapedProvider(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	g := newGitHub(t)
	createGitHubConnection(t, m, n, g)
	appl := newBrokerApp(t, n)

	c := browser(t)
	toGH := appl.authorize(c, "github")
	if !strings.HasPrefix(toGH.String(), g.srv.URL+"/login/oauth/authorize?") || toGH.Query().Get("scope") != "read:user user:email" {
		t.Fatalf("sent to %s", toGH)
	}
	resp, _ := get(t, c, toGH.String())
	back, _ := resp.Location()
	id := appl.idToken(appl.finish(c, back.String()))
	if id["sub"] != "github|4242" || id["nickname"] != "octo" || id["name"] != "Octo Cat" || id["picture"] != "https://avatars.example/octo.png" {
		t.Errorf("ID token %v", id)
	}
	users := usersByEmail(t, m, "admin@example.com")
	if len(users) != 2 {
		t.Fatalf("users %v", users)
	}
	for _, u := range users {
		if u["user_id"] == "github|4242" {
			ident := u["identities"].([]any)[0].(map[string]any)
			if ident["provider"] != "github" || ident["user_id"] != "4242" || ident["isSocial"] != true || ident["connection"] != "github" || u["email_verified"] != true {
				t.Errorf("github user %v", u)
			}
		} else if !strings.HasPrefix(u["user_id"].(string), "auth0|") {
			t.Errorf("unexpected user %v", u)
		}
	}

	// The login page offers the button.
	c = browser(t)
	resp, _ = get(t, c, appl.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(appl.verifier)))
	loc, _ := resp.Location()
	_, page := get(t, c, loc.String())
	if !strings.Contains(page, "Continue with GitHub") || !strings.Contains(page, `name="connection" value="github"`) {
		t.Errorf("login page without the GitHub button")
	}
}
