package authflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// setOptions replaces the default connection's options; enabled lists its clients (nil keeps them).
func (e *env) setOptions(tb testing.TB, o domain.ConnectionOptions, enabled []string) {
	tb.Helper()
	ctx := context.Background()
	c, err := e.st.GetConnectionByName(ctx, domain.DefaultConnection)
	must(tb, err)
	c.Options = o
	if enabled != nil {
		c.EnabledClients = enabled
	}
	must(tb, e.st.UpdateConnection(ctx, c))
}

func TestSignupFollowsTheConnection(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	p := e.get(t, c, "/authorize?"+e.webAppParams("screen_hint", "signup").Encode())
	sp := e.get(t, c, p.location)
	m := csrfField.FindStringSubmatch(sp.body)
	// The page lists the seeded policy ("good") before anything is typed.
	for _, want := range []string{"At least 8 characters in length", "Contain at least 3 of the following 4 types of characters:",
		`<li class="nested ">lower case letters (a-z)</li>`, "special characters (e.g. !@#$%^&amp;*)"} {
		if !strings.Contains(sp.body, want) {
			t.Errorf("signup page lacks %q", want)
		}
	}
	form := func(email, pw string, extra ...string) url.Values {
		v := url.Values{"state": {stateOf(p.location)}, "csrf": {m[1]}, "email": {email}, "password": {pw}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}

	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "fair", BruteForceProtection: true,
		PasswordDictionary: &domain.PasswordDictionaryOptions{Enable: true}}, nil)
	weak := e.post(t, c, p.location, form("a@example.com", "abcdefgh1"))
	if weak.status != 400 || !strings.Contains(weak.body, `<li class="met">`) || !strings.Contains(weak.body, `<li class="nested unmet">`) ||
		!strings.Contains(weak.body, "Not met: </span>upper case letters (A-Z)") {
		t.Errorf("weak password page: %d\n%s", weak.status, weak.body)
	}
	common := e.post(t, c, p.location, form("a@example.com", "Password1"))
	if common.status != 400 || !strings.Contains(common.body, "Password is too common.") {
		t.Errorf("common password: %d", common.status)
	}

	// requires_username: the form asks for one and refuses without it.
	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "low", BruteForceProtection: true, RequiresUsername: true}, nil)
	if sp := e.get(t, c, p.location); !strings.Contains(sp.body, `name="username"`) {
		t.Error("the signup page does not ask for the required username")
	}
	if r := e.post(t, c, p.location, form("u@example.com", "abcdef")); r.status != 400 || !strings.Contains(r.body, "Please choose a username.") {
		t.Errorf("missing username: %d", r.status)
	}

	// disable_signup: no link from the login page, the page and its POST refused.
	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "low", BruteForceProtection: true, DisableSignup: true}, nil)
	lp := e.get(t, c, authflow.LoginPath+"?state="+url.QueryEscape(stateOf(p.location)))
	if strings.Contains(lp.body, authflow.SignupPath) {
		t.Error("the login page links to a disabled signup")
	}
	if r := e.get(t, c, p.location); r.status != http.StatusForbidden || !strings.Contains(r.body, authflow.MsgSignupDisabled) {
		t.Errorf("signup page with signup disabled: %d", r.status)
	}
	if r := e.post(t, c, p.location, form("d@example.com", "abcdef")); r.status != http.StatusForbidden {
		t.Errorf("signup POST with signup disabled: %d", r.status)
	}
	if _, err := e.st.GetUserByEmail(context.Background(), domain.DefaultConnection, "d@example.com"); err == nil {
		t.Error("a disabled signup created the user")
	}

	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "low", BruteForceProtection: true, RequiresUsername: true}, nil)
	q := callbackQuery(t, e.post(t, c, p.location, form("u@example.com", "abcdef", "username", "uma")), webAppCallback)
	rec := e.redeem(t, q.Get("code"))
	u, err := e.st.GetUser(context.Background(), rec.UserID)
	must(t, err)
	if u.Username != "uma" {
		t.Errorf("username %q", u.Username)
	}
}

func TestLoginRefusedWhenTheConnectionIsNotEnabled(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "good", BruteForceProtection: true}, []string{e.spa.ClientID})
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams())
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	if p.status != http.StatusForbidden || !strings.Contains(p.body, authflow.MsgConnectionDisabled) || p.location != "" {
		t.Errorf("login through a disabled connection: %d %q", p.status, p.location)
	}
}

// signup posts to /dbconnections/signup as auth0-js does (JSON).
func (e *env) signup(tb testing.TB, body map[string]any, header ...string) (int, http.Header, map[string]any) {
	tb.Helper()
	buf, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", e.srv.URL+authflow.DBSignupPath, bytes.NewReader(buf))
	must(tb, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	must(tb, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("body %q: %v", raw, err)
	}
	return res.StatusCode, res.Header, out
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestDBSignup: POST /dbconnections/signup answers with Auth0's bodies (spec §1.9).
func TestDBSignup(t *testing.T) {
	e := newEnv(t, envOptions{})
	base := func(email, pw string) map[string]any {
		return map[string]any{"client_id": e.spa.ClientID, "connection": domain.DefaultConnection, "email": email, "password": pw}
	}

	status, _, body := e.signup(t, base("weak@example.com", "abc"))
	want := `{"code":"invalid_password","description":{"rules":[` +
		`{"code":"lengthAtLeast","format":[8],"message":"At least %d characters in length","verified":false},` +
		`{"code":"containsAtLeast","format":[3,4],"items":[{"code":"lowerCase","message":"lower case letters (a-z)","verified":true},` +
		`{"code":"upperCase","message":"upper case letters (A-Z)","verified":false},{"code":"numbers","message":"numbers (i.e. 0-9)","verified":false},` +
		`{"code":"specialCharacters","message":"special characters (e.g. !@#$%^\u0026*)","verified":false}],` +
		`"message":"Contain at least %d of the following %d types of characters:","verified":false}],"verified":false},` +
		`"message":"Password is too weak","name":"PasswordStrengthError",` +
		`"policy":"* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^\u0026*)",` +
		`"statusCode":400}`
	if status != 400 || jsonString(body) != want {
		t.Errorf("weak password: %d\n got %s\nwant %s", status, jsonString(body), want)
	}

	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "good", BruteForceProtection: true,
		PasswordDictionary:     &domain.PasswordDictionaryOptions{Enable: true, Dictionary: []string{"Acme-Corp-2024"}},
		PasswordNoPersonalInfo: &domain.EnableOption{Enable: true}}, nil)
	for _, c := range []struct{ pw, want string }{
		{"Acme-Corp-2024", `{"code":"invalid_password","description":"Password is too common","message":"Password is too common","name":"PasswordDictionaryError","statusCode":400}`},
		{"Q1w2e3r4", `{"code":"invalid_password","description":"Password is too common","message":"Password is too common","name":"PasswordDictionaryError","statusCode":400}`},
		{"Carmen-2024!", `{"code":"invalid_password","description":"Password contains user information","message":"Password contains user information","name":"PasswordNoUserInfoError","statusCode":400}`},
	} {
		status, _, body := e.signup(t, base("carmen@example.com", c.pw))
		if status != 400 || jsonString(body) != c.want {
			t.Errorf("%s: %d %s", c.pw, status, jsonString(body))
		}
	}

	status, hdr, body := e.signup(t, map[string]any{"client_id": e.spa.ClientID, "connection": domain.DefaultConnection,
		"email": "New.User@Example.com", "password": "Blue-Lamp-42", "username": "newuser", "given_name": "New",
		"user_metadata": map[string]string{"plan": "free"}}, "Origin", "http://localhost:3000")
	id, _ := body["_id"].(string)
	if status != 200 || len(id) != 24 || strings.Contains(id, "|") || body["email"] != "new.user@example.com" || body["email_verified"] != false ||
		body["username"] != "newuser" || body["given_name"] != "New" || body["user_metadata"].(map[string]any)["plan"] != "free" {
		t.Errorf("signup: %d %s", status, jsonString(body))
	}
	if hdr.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("content type %q", hdr.Get("Content-Type"))
	}
	u, err := e.st.GetUser(context.Background(), "auth0|"+id)
	must(t, err)
	if u.Email != "new.user@example.com" || u.UserMetadata["plan"] != "free" || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("stored user %+v", u)
	}

	// An existing address: the one generic refusal, which names no account.
	status, _, body = e.signup(t, base("NEW.USER@example.com", "Another-Pass-7"))
	if status != 400 || jsonString(body) != `{"code":"invalid_signup","description":"Invalid sign up","name":"BadRequestError","statusCode":400}` {
		t.Errorf("existing user: %d %s", status, jsonString(body))
	}

	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "good", BruteForceProtection: true, DisableSignup: true}, nil)
	status, _, body = e.signup(t, base("off@example.com", "Blue-Lamp-42"))
	if status != 400 || jsonString(body) != `{"code":"operation_not_allowed","description":"public signup is disabled","name":"BadRequestError","statusCode":400}` {
		t.Errorf("signup disabled: %d %s", status, jsonString(body))
	}
	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "good", BruteForceProtection: true}, []string{e.webApp.ClientID})
	if status, _, body = e.signup(t, base("spa@example.com", "Blue-Lamp-42")); status != 400 || body["code"] != "unauthorized" {
		t.Errorf("connection not enabled for the client: %d %s", status, jsonString(body))
	}
	for name, b := range map[string]map[string]any{
		"unknown connection": {"client_id": e.webApp.ClientID, "connection": "Nope", "email": "x@example.com", "password": "Blue-Lamp-42"},
		"unknown client":     {"client_id": "nope", "connection": domain.DefaultConnection, "email": "x@example.com", "password": "Blue-Lamp-42"},
		"no email":           {"client_id": e.webApp.ClientID, "connection": domain.DefaultConnection, "password": "Blue-Lamp-42"},
		"no password":        {"client_id": e.webApp.ClientID, "connection": domain.DefaultConnection, "email": "x@example.com"},
		"bad email":          {"client_id": e.webApp.ClientID, "connection": domain.DefaultConnection, "email": "not-an-email", "password": "Blue-Lamp-42"},
	} {
		status, _, body := e.signup(t, b)
		if status != 400 || body["name"] != "BadRequestError" || body["statusCode"] != float64(400) || body["description"] == "" {
			t.Errorf("%s: %d %s", name, status, jsonString(body))
		}
	}
	for _, email := range []string{"weak@example.com", "off@example.com", "spa@example.com", "x@example.com", "carmen@example.com"} {
		if _, err := e.st.GetUserByEmail(context.Background(), domain.DefaultConnection, email); err == nil {
			t.Errorf("a refused signup created %s", email)
		}
	}
}

// TestLoginByUsername: a connection that requires usernames signs its users in by username or
// email; elsewhere a username is just an unknown email.
func TestLoginByUsername(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	u, err := e.st.GetUser(ctx, e.userID)
	must(t, err)
	u.Username = "jane_d"
	must(t, e.st.UpdateUser(ctx, u))
	login := func(identifier string) page {
		c := e.browser(t)
		lp, csrf := e.startLogin(t, c, e.webAppParams())
		return e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {identifier}, "password": {userPassword}})
	}
	if p := login("JANE_D"); p.status != http.StatusBadRequest {
		t.Errorf("username without requires_username: %d", p.status)
	}
	e.setOptions(t, domain.ConnectionOptions{PasswordPolicy: "good", BruteForceProtection: true, RequiresUsername: true}, nil)
	c := e.browser(t)
	lp, _ := e.startLogin(t, c, e.webAppParams())
	if p := e.get(t, c, lp); !strings.Contains(p.body, "Username or email address") || !strings.Contains(p.body, `name="username" type="text"`) {
		t.Error("the login page does not ask for a username or email")
	}
	for _, id := range []string{"JANE_D", userEmail} {
		if p := login(id); p.status != http.StatusFound || !strings.Contains(p.location, "code=") {
			t.Errorf("sign-in as %s: %d %q", id, p.status, p.location)
		}
	}
}

// TestDBSignupIntoAnotherConnection: a second database connection takes signups under its own
// policy, and the tenant log names it.
func TestDBSignupIntoAnotherConnection(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := &domain.Connection{ID: domain.NewConnectionID(), Name: "Partners-DB", EnabledClients: []string{e.spa.ClientID},
		Options: domain.ConnectionOptions{PasswordPolicy: "low", BruteForceProtection: true}}
	domain.ApplyConnectionDefaults(c)
	must(t, e.st.CreateConnection(ctx, c))
	body := map[string]any{"client_id": e.spa.ClientID, "connection": "Partners-DB", "email": "p@example.com", "password": "abcdef"}
	if status, _, out := e.signup(t, body); status != 200 {
		t.Fatalf("signup: %d %v", status, out)
	}
	if _, err := e.st.GetUserByEmail(ctx, "Partners-DB", "p@example.com"); err != nil {
		t.Fatalf("user not in Partners-DB: %v", err)
	}
	if _, err := e.st.GetUserByEmail(ctx, domain.DefaultConnection, "p@example.com"); err == nil {
		t.Error("the user landed in the default connection too")
	}
	events, _, err := e.st.ListLogs(ctx, store.LogFilter{Type: "ss"}, store.Page{PerPage: 10})
	must(t, err)
	if len(events) != 1 || events[0].Connection != "Partners-DB" {
		t.Errorf("ss events: %+v", events)
	}
}
