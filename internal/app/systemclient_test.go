package app_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// The dev tenant's Management client is Gatehouse's own: its own token cannot rewrite it, rotate its
// secret, delete it or cut its Management API grant, and it keeps working afterwards.
func TestDevManagementClientIsProtected(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	id := n.tenant.ManagementAPI.ClientID
	status, grants := m.do("GET", "client-grants?client_id="+id+"&audience="+url.QueryEscape(n.tenant.ManagementAPI.Audience), nil)
	list, _ := grants["list"].([]any)
	if status != http.StatusOK || len(list) != 1 {
		t.Fatalf("the Management client's grant: %d %v", status, grants)
	}
	grantID, _ := list[0].(map[string]any)["id"].(string)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", "clients/" + id, map[string]any{"grant_types": []string{"authorization_code", "client_credentials"}, "callbacks": []string{"https://attacker.example/cb"}}},
		{"PATCH", "clients/" + id, map[string]any{"app_type": "regular_web"}},
		{"POST", "clients/" + id + "/rotate-secret", nil},
		{"DELETE", "clients/" + id, nil},
		{"PATCH", "client-grants/" + grantID, map[string]any{"scope": []string{"read:users"}}},
		{"DELETE", "client-grants/" + grantID, nil},
	} {
		status, body := m.do(tc.method, tc.path, tc.body)
		if status != http.StatusForbidden || body["errorCode"] != "operation_not_supported" {
			t.Errorf("%s %s: %d %v, want 403 operation_not_supported", tc.method, tc.path, status, body)
		}
	}
	again := newMgmtClient(t, n) // the stored secret still works
	if status, body := again.do("GET", "clients/"+id, nil); status != http.StatusOK || body["app_type"] != "non_interactive" {
		t.Errorf("the Management client afterwards: %d %v", status, body)
	}
}

// A tenant seeded before the Management client was marked gets it marked on the next seed.
func TestDevSeedMarksAnExistingManagementClient(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	id := n.tenant.ManagementAPI.ClientID
	cl, err := n.Store.GetClient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !cl.IsSystem {
		t.Fatal("a freshly seeded Management client is not marked as Gatehouse's own")
	}
	cl.IsSystem = false
	if err := n.Store.UpdateClient(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if _, err := devtenant.Seed(ctx, n.Store, devtenant.Options{Issuer: n.issuer, Path: filepath.Join(t.TempDir(), "dev-tenant.json"),
		ManagementAudience: n.issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(),
		Hasher: password.Hasher{P: password.Fast()}, Now: time.Now}); err != nil {
		t.Fatal(err)
	}
	if cl, err = n.Store.GetClient(ctx, id); err != nil || !cl.IsSystem {
		t.Fatalf("after a new seed: %+v, %v", cl, err)
	}
}
