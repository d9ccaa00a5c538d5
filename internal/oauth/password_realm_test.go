package oauth_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
)

const (
	empID = "auth0|65a0c0ffee00000000000e01"
	empPW = "employee password 2 remember"
)

// mustEmployees adds a second database connection, Employees, enabled for the password clients, with
// one user of its own; and a GitHub connection enabled for them, which has no passwords to check.
func (e *env) mustEmployees(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	for _, c := range []*domain.Connection{
		{ID: domain.NewConnectionID(), Name: "Employees", Strategy: domain.StrategyAuth0},
		{ID: domain.NewConnectionID(), Name: "github", Strategy: domain.StrategyGitHub},
	} {
		domain.ApplyConnectionDefaults(c)
		c.EnabledClients = []string{ropcID, realmID}
		must(tb, e.Store.CreateConnection(ctx, c))
	}
	hash, err := password.Hasher{P: password.Fast()}.Hash(empPW)
	must(tb, err)
	u := &domain.User{UserID: empID, Email: "emp@example.test", EmailVerified: true, Connection: "Employees", PasswordHash: hash}
	domain.ApplyUserDefaults(u)
	must(tb, e.Store.CreateUser(ctx, u))
}

// TestPasswordRealmNamesTheConnection: the realm grant checks the password against the connection
// `realm` names, and no other; `password` (golang.org/x/oauth2's PasswordCredentialsToken) checks it
// against the tenant's default directory, and follows that setting when it names another database
// connection, unless it is sent a realm, which it then follows as the realm grant does. A realm that
// cannot check a password is Auth0's 400.
func TestPasswordRealmNamesTheConnection(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg, noCache: true})
		e.mustPasswordClients(t)
		e.mustEmployees(t)
		realmGrant := func(realmName, user, pw string) tokenAnswer {
			return e.call(t, "oauth/token", tokenCall{body: form("grant_type", realm, "client_id", realmID, "client_secret", ropcSecret,
				"realm", realmName, "username", user, "password", pw, "scope", "openid")})
		}
		a := realmGrant("Employees", "emp@example.test", empPW)
		if a.status != 200 {
			t.Fatalf("realm Employees: %d %s", a.status, a.raw)
		}
		if _, id := decodeJWT(t, a.body["id_token"].(string)); id["sub"] != empID {
			t.Fatalf("realm Employees signed in %v", id["sub"])
		}
		// Each realm checks its own users only.
		wantError(t, realmGrant("Employees", "jane@example.test", janePW), 403, "invalid_grant", "Wrong email or password.")
		wantError(t, realmGrant(domain.DefaultConnection, "emp@example.test", empPW), 403, "invalid_grant", "Wrong email or password.")
		wantError(t, realmGrant("Contractors", "emp@example.test", empPW), 400, "invalid_request", "Unknown realm.")
		wantError(t, realmGrant("github", "emp@example.test", empPW), 400, "invalid_request", "specified strategy does not support requested operation")

		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.Server.Client())
		cfg := oauth2.Config{ClientID: ropcID, ClientSecret: ropcSecret, Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{TokenURL: e.url("oauth/token"), AuthStyle: oauth2.AuthStyleInHeader}}
		signIn := func(user, pw string) (string, error) {
			tok, err := cfg.PasswordCredentialsToken(ctx, user, pw)
			if err != nil {
				return "", err
			}
			_, id := decodeJWT(t, tok.Extra("id_token").(string))
			sub, _ := id["sub"].(string)
			return sub, nil
		}
		refused := func(err error) bool {
			var re *oauth2.RetrieveError
			return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
		}
		if sub, err := signIn("jane@example.test", janePW); err != nil || sub != userID {
			t.Fatalf("password grant, default directory: %q %v", sub, err)
		}
		if _, err := signIn("emp@example.test", empPW); !refused(err) {
			t.Fatalf("password grant with a user outside the default directory: %v", err)
		}
		// `password` with a realm (as auth0-auth-js sends it) checks that connection instead, under
		// the realm grant's rules.
		passwordRealm := func(realmName, user, pw string) tokenAnswer {
			return e.call(t, "oauth/token", tokenCall{basicID: ropcID, basicSecret: ropcSecret,
				body: form("grant_type", "password", "realm", realmName, "username", user, "password", pw, "scope", "openid")})
		}
		if a := passwordRealm("Employees", "emp@example.test", empPW); a.status != 200 {
			t.Fatalf("password grant with realm Employees: %d %s", a.status, a.raw)
		} else if _, id := decodeJWT(t, a.body["id_token"].(string)); id["sub"] != empID {
			t.Fatalf("password grant with realm Employees signed in %v", id["sub"])
		}
		wantError(t, passwordRealm("Employees", "jane@example.test", janePW), 403, "invalid_grant", "Wrong email or password.")
		wantError(t, passwordRealm("Contractors", "jane@example.test", janePW), 400, "invalid_request", "Unknown realm.")
		wantError(t, passwordRealm("github", "emp@example.test", empPW), 400, "invalid_request", "specified strategy does not support requested operation")
		// A connection not enabled for the client is refused whichever way it is named.
		ctx2 := context.Background()
		emp, err := e.Store.GetConnectionByName(ctx2, "Employees")
		must(t, err)
		emp.EnabledClients = []string{realmID}
		must(t, e.Store.UpdateConnection(ctx2, emp))
		wantError(t, passwordRealm("Employees", "emp@example.test", empPW), 403, "unauthorized_client", "The connection is not enabled for this client.")
		emp.EnabledClients = []string{ropcID, realmID}
		must(t, e.Store.UpdateConnection(ctx2, emp))

		// The default directory set to Employees: the password grant checks Employees. (The
		// Management API keeps it to Username-Password-Authentication, the hosted pages' connection;
		// the grant does not rely on that.)
		ts, err := e.Store.GetTenantSettings(context.Background())
		must(t, err)
		ts.DefaultDirectory = "Employees"
		must(t, e.Store.PutTenantSettings(context.Background(), ts))
		if sub, err := signIn("emp@example.test", empPW); err != nil || sub != empID {
			t.Fatalf("password grant, default directory Employees: %q %v", sub, err)
		}
		if _, err := signIn("jane@example.test", janePW); !refused(err) {
			t.Fatalf("password grant with a user outside the new default directory: %v", err)
		}
		// A default directory that cannot check passwords: the tenant's mistake, Auth0's words.
		ts.DefaultDirectory = "github"
		must(t, e.Store.PutTenantSettings(context.Background(), ts))
		wantError(t, e.call(t, "oauth/token", tokenCall{basicID: ropcID, basicSecret: ropcSecret,
			body: form("grant_type", "password", "username", "emp@example.test", "password", empPW)}),
			400, "invalid_request", "specified strategy does not support requested operation")
	})
}
