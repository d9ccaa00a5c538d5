package mgmt_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func defaultConnection(t *testing.T, e *env) map[string]any {
	t.Helper()
	list := e.must(t, 200, "GET", "/connections?name="+conn, nil).arr(t)
	if len(list) != 1 {
		t.Fatalf("default connection listed %d times", len(list))
	}
	return list[0].(map[string]any)
}

func TestConnectionsCRUD(t *testing.T) {
	e := newEnv(t)
	app := storetest.MustClient(t, e.st, "app")

	def := defaultConnection(t, e)
	opts := def["options"].(map[string]any)
	if def["strategy"] != "auth0" || opts["passwordPolicy"] != "good" || opts["brute_force_protection"] != true ||
		def["realms"].([]any)[0] != conn || def["is_domain_connection"] != false {
		t.Fatalf("default connection: %v", def)
	}
	if !slices.Contains(def["enabled_clients"].([]any), any(app.ClientID)) {
		t.Errorf("a new client is not enabled on the default connection: %v", def["enabled_clients"])
	}

	r := e.must(t, 201, "POST", "/connections", map[string]any{
		"name": "Partners-DB", "strategy": "auth0", "display_name": "Partners", "enabled_clients": []string{app.ClientID},
		"options": map[string]any{"passwordPolicy": "excellent", "password_history": map[string]any{"enable": true},
			"password_dictionary": map[string]any{"enable": true, "dictionary": []string{"acme"}}, "disable_signup": true},
	})
	c := r.obj(t)
	id, _ := c["id"].(string)
	o := c["options"].(map[string]any)
	if len(id) != 20 || id[:4] != "con_" || c["name"] != "Partners-DB" || o["brute_force_protection"] != true ||
		o["password_history"].(map[string]any)["size"] != float64(5) || o["disable_signup"] != true {
		t.Fatalf("created: %s", r.raw)
	}
	path := "/connections/" + id
	if got := e.must(t, 200, "GET", path, nil).obj(t); got["display_name"] != "Partners" {
		t.Errorf("get: %v", got)
	}
	if got := e.must(t, 200, "GET", path+"?fields=id,name", nil).obj(t); len(got) != 2 {
		t.Errorf("fields: %v", got)
	}

	// Refusals change nothing.
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "Partners-DB", "strategy": "auth0"}),
		409, "connection_conflict", "A connection with the same name already exists", true)
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "G", "strategy": "wsfed"}),
		400, "invalid_body", "strategy", false)
	// A node without a sealing key for client secrets refuses connections to other providers.
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "gh", "strategy": "github",
		"options": map[string]any{"client_id": "id", "client_secret": "s"}}), 501, "operation_not_supported", "client secret", false)
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"strategy": "auth0"}),
		400, "invalid_body", "Missing required property: name", false)
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "X", "strategy": "auth0", "options": map[string]any{"passwordPolicy": "strong"}}),
		400, "invalid_body", "options.passwordPolicy", false)
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "X", "strategy": "auth0", "options": map[string]any{"mfa": map[string]any{"active": true}}}),
		400, "invalid_body", "Additional properties not allowed: mfa", false)
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "X", "strategy": "auth0", "enabled_clients": []string{"nope"}}),
		400, "invalid_body", "enabled_clients", false)
	wantError(t, e.call(t, "admin", "POST", "/connections", map[string]any{"name": "X", "strategy": "auth0",
		"options": map[string]any{"password_complexity_options": map[string]any{"min_length": 200}}}),
		400, "invalid_body", "min_length", false)
	wantError(t, e.call(t, "admin", "GET", "/connections/con_nope", nil), 404, "inexistent_connection", "The connection does not exist", true)
	wantError(t, e.call(t, "admin", "PATCH", path, map[string]any{"name": "Renamed"}), 400, "invalid_body", "Additional properties not allowed: name", false)
	wantError(t, e.call(t, "reader", "GET", "/connections", nil), 403, "insufficient_scope", "read:connections", false)
	wantError(t, e.call(t, "scopes:read:connections", "POST", "/connections", map[string]any{"name": "Y", "strategy": "auth0"}),
		403, "insufficient_scope", "create:connections", false)

	// PATCH replaces options as a whole; brute-force protection stays on unless turned off.
	p := e.must(t, 200, "PATCH", path, map[string]any{"options": map[string]any{"passwordPolicy": "low"}, "metadata": map[string]string{"team": "b2b"}}).obj(t)
	po := p["options"].(map[string]any)
	if po["passwordPolicy"] != "low" || po["password_history"] != nil || po["disable_signup"] != false || po["brute_force_protection"] != true ||
		p["metadata"].(map[string]any)["team"] != "b2b" || p["name"] != "Partners-DB" {
		t.Errorf("patched: %v", p)
	}
	p = e.must(t, 200, "PATCH", path, map[string]any{"options": map[string]any{"brute_force_protection": false}}).obj(t)
	if p["options"].(map[string]any)["brute_force_protection"] != false {
		t.Errorf("brute force not turned off: %v", p)
	}

	// Lists: filters, offset paging with totals, checkpoint paging.
	if all := e.must(t, 200, "GET", "/connections?strategy=auth0", nil).arr(t); len(all) != 2 {
		t.Errorf("by strategy: %d", len(all))
	}
	if none := e.must(t, 200, "GET", "/connections?strategy=google-oauth2,samlp", nil).arr(t); len(none) != 0 {
		t.Errorf("other strategies: %d", len(none))
	}
	tot := e.must(t, 200, "GET", "/connections?include_totals=true&per_page=1&page=1", nil).obj(t)
	if tot["total"] != float64(2) || tot["start"] != float64(1) || len(tot["connections"].([]any)) != 1 ||
		tot["connections"].([]any)[0].(map[string]any)["id"] != id {
		t.Errorf("totals: %v", tot)
	}
	first := e.must(t, 200, "GET", "/connections?take=1", nil).obj(t)
	next, _ := first["next"].(string)
	if next == "" || len(first["connections"].([]any)) != 1 {
		t.Fatalf("checkpoint: %v", first)
	}
	second := e.must(t, 200, "GET", "/connections?take=1&from="+url.QueryEscape(next), nil).obj(t)
	if second["next"] != nil || second["connections"].([]any)[0].(map[string]any)["id"] != id {
		t.Errorf("second page: %v", second)
	}

	// Delete: 202, the connection's users go with it; the default directory cannot be deleted.
	u := &domain.User{UserID: domain.NewUserID(), Email: "p@example.com", Connection: "Partners-DB", PasswordHash: "h"}
	domain.ApplyUserDefaults(u)
	if err := e.st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.call(t, "admin", "DELETE", "/connections/"+def["id"].(string), nil),
		400, "operation_not_supported", "default directory", false)
	e.must(t, 202, "DELETE", path, nil)
	if _, err := e.st.GetUser(context.Background(), u.UserID); err == nil {
		t.Error("the deleted connection's user is still there")
	}
	wantError(t, e.call(t, "admin", "DELETE", path, nil), 404, "inexistent_connection", "The connection does not exist", true)
}

func TestConnectionEnabledClients(t *testing.T) {
	e := newEnv(t)
	a := storetest.MustClient(t, e.st, "a")
	b := storetest.MustClient(t, e.st, "b")
	def := defaultConnection(t, e)
	path := "/connections/" + def["id"].(string) + "/clients"

	list := e.must(t, 200, "GET", path+"?take=1", nil).obj(t)
	items := list["clients"].([]any)
	if len(items) != 1 || list["next"] == nil {
		t.Fatalf("first page: %v", list)
	}
	rest := e.must(t, 200, "GET", path+"?take=1&from="+url.QueryEscape(list["next"].(string)), nil).obj(t)
	got := []string{items[0].(map[string]any)["client_id"].(string), rest["clients"].([]any)[0].(map[string]any)["client_id"].(string)}
	slices.Sort(got)
	want := []string{a.ClientID, b.ClientID}
	slices.Sort(want)
	if !slices.Equal(got, want) || rest["next"] != nil {
		t.Errorf("enabled clients %v (next %v), want %v", got, rest["next"], want)
	}

	e.must(t, 204, "PATCH", path, []map[string]any{{"client_id": a.ClientID, "status": false}})
	only := e.must(t, 200, "GET", path, nil).obj(t)["clients"].([]any)
	if len(only) != 1 || only[0].(map[string]any)["client_id"] != b.ClientID {
		t.Errorf("after disabling a: %v", only)
	}
	wantError(t, e.call(t, "admin", "PATCH", path, []map[string]any{{"client_id": "nope", "status": true}}), 400, "invalid_body", "nope", false)
	wantError(t, e.call(t, "admin", "PATCH", path, []map[string]any{}), 400, "invalid_body", "1 to 50", false)
	wantError(t, e.call(t, "admin", "PATCH", path, []map[string]any{{"client_id": a.ClientID}}), 400, "invalid_body", "status", false)
	if again := e.must(t, 200, "GET", path, nil).obj(t)["clients"].([]any); len(again) != 1 {
		t.Errorf("a refused change changed the list: %v", again)
	}
	// enabled_clients on the connection object is the same list.
	c := e.must(t, 200, "GET", "/connections/"+def["id"].(string), nil).obj(t)
	if ec := c["enabled_clients"].([]any); len(ec) != 1 || ec[0] != b.ClientID {
		t.Errorf("enabled_clients: %v", ec)
	}
}

// setPolicy replaces the default connection's options.
func setPolicy(t *testing.T, e *env, options map[string]any) {
	t.Helper()
	e.must(t, 200, "PATCH", "/connections/"+defaultConnection(t, e)["id"].(string), map[string]any{"options": options})
}

// TestUsersAPIEnforcesThePolicy: POST and PATCH /users refuse what the connection's policy refuses,
// with Auth0's messages.
func TestUsersAPIEnforcesThePolicy(t *testing.T) {
	e := newEnv(t)
	setPolicy(t, e, map[string]any{"passwordPolicy": "excellent", "password_dictionary": map[string]any{"enable": true, "dictionary": []string{"Gatehouse-Rocks-1"}},
		"password_no_personal_info": map[string]any{"enable": true}, "password_history": map[string]any{"enable": true, "size": 2}})
	create := func(pw string) resp {
		return e.call(t, "admin", "POST", "/users", map[string]any{"connection": conn, "email": "maria@example.com", "name": "Mariana", "password": pw})
	}
	wantError(t, create("Str0ng!pw"), 400, "invalid_password", "PasswordStrengthError: Password is too weak", true)   // 9 characters
	wantError(t, create("Str0ng!!!pw"), 400, "invalid_password", "PasswordStrengthError: Password is too weak", true) // "!!!"
	wantError(t, create("gatehouserocks"), 400, "invalid_password", "PasswordStrengthError: Password is too weak", true)
	wantError(t, create("gatehouse-ROCKS-1"), 400, "invalid_password", "PasswordDictionaryError: Password is too common", true) // any case
	wantError(t, create("Mariana-1234"), 400, "invalid_password", "PasswordNoUserInfoError: Password contains user information", true)
	wantError(t, create("xx-Maria-99Q"), 400, "invalid_password", "PasswordNoUserInfoError: Password contains user information", true) // email's local part
	if _, err := e.st.GetUserByEmail(context.Background(), conn, "maria@example.com"); err == nil {
		t.Fatal("a refused password created the user")
	}
	u := e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "maria@example.com", "name": "Mariana", "password": "Blue-Lamp-42"}).obj(t)
	path := "/users/" + url.PathEscape(u["user_id"].(string))

	// History (size 2): the current password and the one before are refused, older ones allowed.
	wantError(t, e.call(t, "admin", "PATCH", path, map[string]any{"password": "Blue-Lamp-42"}),
		400, "invalid_password", "PasswordHistoryError: Password has previously been used", true)
	e.must(t, 200, "PATCH", path, map[string]any{"password": "Green-Door-77"})
	wantError(t, e.call(t, "admin", "PATCH", path, map[string]any{"password": "Blue-Lamp-42"}),
		400, "invalid_password", "PasswordHistoryError: Password has previously been used", true)
	e.must(t, 200, "PATCH", path, map[string]any{"password": "Red-Chair-19"})
	e.must(t, 200, "PATCH", path, map[string]any{"password": "Blue-Lamp-42"}) // three changes ago: out of a history of 2
	wantError(t, e.call(t, "admin", "PATCH", path, map[string]any{"password": "weak"}),
		400, "invalid_password", "PasswordStrengthError: Password is too weak", true)

	// requires_username.
	setPolicy(t, e, map[string]any{"passwordPolicy": "low", "requires_username": true})
	wantError(t, e.call(t, "admin", "POST", "/users", map[string]any{"connection": conn, "email": "n@example.com", "password": "abcdef"}),
		400, "invalid_body", "username", false)
	e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "n@example.com", "password": "abcdef", "username": "nico"})

	// disable_signup closes public signup only: an administrator still creates users (Auth0's rule).
	setPolicy(t, e, map[string]any{"passwordPolicy": "low", "disable_signup": true})
	e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "admin-made@example.com", "password": "abcdef"})
}

// TestBlockingAUserEndsWhatTheyHold: blocked:true revokes the user's refresh tokens and ends their
// sessions in the same change.
func TestBlockingAUserEndsWhatTheyHold(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	app := storetest.MustClient(t, e.st, "app")
	u := storetest.MustUser(t, e.st, "b@example.com")
	now := time.Now().UTC()
	exp := now.Add(time.Hour)
	rt := &domain.RefreshToken{TokenHash: domain.HashSecret("rt-" + u.UserID), FamilyID: "fam-1", ClientID: app.ClientID, UserID: u.UserID,
		CreatedAt: now, AuthTime: now, ExpiresAt: &exp}
	if err := e.st.CreateRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	sess := &domain.Session{ID: "sess-1", TokenHash: domain.HashSecret("sess-" + u.UserID), UserID: u.UserID, CreatedAt: now,
		AuthenticatedAt: now, LastSeenAt: now, IdleExpiresAt: exp, ExpiresAt: exp}
	if err := e.st.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	path := "/users/" + url.PathEscape(u.UserID)
	e.must(t, 200, "PATCH", path, map[string]any{"blocked": true})
	got, err := e.st.GetRefreshToken(ctx, rt.TokenHash)
	if err != nil || got.RevokedAt == nil {
		t.Errorf("refresh token after block: %+v, %v", got, err)
	}
	if _, err := e.st.GetSession(ctx, sess.ID); err == nil {
		t.Error("session survived the block")
	}
	if g := e.must(t, 200, "GET", path, nil).obj(t); g["blocked"] != true {
		t.Errorf("user: %v", g)
	}
	e.must(t, 200, "PATCH", path, map[string]any{"blocked": false})
	if g := e.must(t, 200, "GET", path, nil).obj(t); g["blocked"] != nil {
		t.Errorf("unblocked user: %v", g)
	}
}

// TestUsersListedByConnection: GET /users?connection= and q=identities.connection: find the users
// of one connection.
func TestUsersListedByConnection(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/connections", map[string]any{"name": "Partners-DB", "strategy": "auth0", "options": map[string]any{"passwordPolicy": "low"}})
	e.must(t, 201, "POST", "/users", map[string]any{"connection": "Partners-DB", "email": "p@example.com", "password": "abcdef"})
	e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "d@example.com", "password": "Str0ng!pass"})
	for _, q := range []string{"/users?connection=Partners-DB", "/users?q=" + url.QueryEscape(`identities.connection:"Partners-DB"`)} {
		list := e.must(t, 200, "GET", q, nil).arr(t)
		if len(list) != 1 || list[0].(map[string]any)["email"] != "p@example.com" {
			t.Errorf("%s: %v", q, list)
		}
	}
	if list := e.must(t, 200, "GET", "/users?connection=google-oauth2", nil).arr(t); len(list) != 0 {
		t.Errorf("unknown connection: %v", list)
	}
}
