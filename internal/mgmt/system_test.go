package mgmt_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

// systemClient stores a client marked as Gatehouse's own, as the dev tenant's Management client is,
// and returns it as stored.
func systemClient(t *testing.T, e *env) *domain.Client {
	t.Helper()
	now := time.Now().UTC()
	cl := &domain.Client{ClientID: domain.NewClientID(), Name: "Gatehouse Management Client", AppType: domain.AppTypeNonInteractive,
		IsFirstParty: true, IsSystem: true, SecretHash: domain.HashSecret(domain.NewClientSecret()), CreatedAt: now, UpdatedAt: now}
	domain.ApplyClientDefaults(cl)
	if err := e.st.CreateClient(context.Background(), cl); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.GetClient(context.Background(), cl.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sameClient fails unless the stored client still equals before, secret included.
func sameClient(t *testing.T, e *env, before *domain.Client) {
	t.Helper()
	after, err := e.st.GetClient(context.Background(), before.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflectEqualJSON(after, before) || !bytes.Equal(after.SecretHash, before.SecretHash) || !after.IsSystem {
		t.Errorf("the system client changed: %+v", after)
	}
}

// Gatehouse's own Management API client cannot be rewritten through the API, whatever the field.
func TestSystemClientCannotBeChanged(t *testing.T) {
	e := newEnv(t)
	sys := systemClient(t, e)
	for _, body := range []map[string]any{
		{"grant_types": []string{"authorization_code", "client_credentials"}},
		{"callbacks": []string{"https://attacker.example/cb"}},
		{"app_type": "regular_web"},
		{"token_endpoint_auth_method": "none"},
		{"name": "renamed"},
	} {
		r := e.call(t, "admin", "PATCH", "/clients/"+sys.ClientID, body)
		wantError(t, r, http.StatusForbidden, "operation_not_supported", "used by Gatehouse itself and cannot be changed", false)
		sameClient(t, e, sys)
	}
	// A body that changes nothing (a tool writing back what it read, as the Deploy CLI's import
	// does) is answered 200 and changes nothing.
	for _, body := range []map[string]any{{}, {"name": sys.Name, "grant_types": sys.GrantTypes}} {
		e.must(t, http.StatusOK, "PATCH", "/clients/"+sys.ClientID, body)
		sameClient(t, e, sys)
	}
	// Other clients are still changed as before.
	other := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{"name": "Other", "app_type": "regular_web"}).obj(t)
	e.must(t, http.StatusOK, "PATCH", "/clients/"+other["client_id"].(string), map[string]any{"callbacks": []string{"https://app.example.org/cb"}})
}

// Rotating the system client's secret would lock out everything holding it (`gatehouse dev`, the
// tools reading dev-tenant.json), so it is refused like a delete, with either scope that reaches it.
func TestSystemClientSecretCannotBeRotated(t *testing.T) {
	e := newEnv(t)
	sys := systemClient(t, e)
	for _, token := range []string{"admin", "scopes:update:client_keys"} {
		r := e.call(t, token, "POST", "/clients/"+sys.ClientID+"/rotate-secret", nil)
		wantError(t, r, http.StatusForbidden, "operation_not_supported", "cannot be rotated", false)
		if bytes.Contains(r.raw, []byte("client_secret")) {
			t.Errorf("a secret in the refusal: %s", r.raw)
		}
		sameClient(t, e, sys)
	}
	other := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{"name": "Other", "app_type": "regular_web"}).obj(t)
	e.must(t, http.StatusOK, "POST", "/clients/"+other["client_id"].(string)+"/rotate-secret", nil)
}

// The grant through which the system client reaches the Management API can be neither narrowed nor
// deleted; its grants for other APIs, and other clients' Management API grants, can.
func TestSystemClientManagementGrantIsKept(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := mgmt.EnsureManagementAPI(ctx, e.st, issuer, nil, time.Now); err != nil {
		t.Fatal(err)
	}
	sys := systemClient(t, e)
	g := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: sys.ClientID, Audience: issuer + "api/v2/",
		Scope: []string{"read:users", "update:users"}, CreatedAt: time.Now().UTC()}
	if err := e.st.CreateClientGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/client-grants/"+g.ID, map[string]any{"scope": []string{}}),
		http.StatusForbidden, "operation_not_supported", "cannot be changed", false)
	wantError(t, e.call(t, "admin", "DELETE", "/client-grants/"+g.ID, nil),
		http.StatusForbidden, "operation_not_supported", "cannot be deleted", false)
	if got, err := e.st.GetClientGrant(ctx, g.ID); err != nil || len(got.Scope) != 2 {
		t.Fatalf("the system grant after the refusals: %+v, %v", got, err)
	}
	// Writing back the same scopes (as the Deploy CLI's import does) is accepted and changes nothing.
	e.must(t, http.StatusOK, "PATCH", "/client-grants/"+g.ID, map[string]any{"scope": []string{"read:users", "update:users"}})
	e.must(t, http.StatusOK, "PATCH", "/client-grants/"+g.ID, map[string]any{})
	if got, err := e.st.GetClientGrant(ctx, g.ID); err != nil || len(got.Scope) != 2 {
		t.Fatalf("the system grant after a write-back: %+v, %v", got, err)
	}

	createAPI(t, e)
	own := e.must(t, http.StatusCreated, "POST", "/client-grants", map[string]any{"client_id": sys.ClientID, "audience": apiID, "scope": []string{"admin:read"}}).obj(t)
	e.must(t, http.StatusOK, "PATCH", "/client-grants/"+own["id"].(string), map[string]any{"scope": []string{"admin:read", "admin:write"}})
	e.must(t, http.StatusNoContent, "DELETE", "/client-grants/"+own["id"].(string), nil)

	m2m := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{"name": "m2m", "app_type": "non_interactive"}).obj(t)
	mg := e.must(t, http.StatusCreated, "POST", "/client-grants", map[string]any{"client_id": m2m["client_id"], "audience": issuer + "api/v2/", "scope": []string{"read:users"}}).obj(t)
	e.must(t, http.StatusOK, "PATCH", "/client-grants/"+mg["id"].(string), map[string]any{"scope": []string{"read:users", "read:clients"}})
	e.must(t, http.StatusNoContent, "DELETE", "/client-grants/"+mg["id"].(string), nil)
}
