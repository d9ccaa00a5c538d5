package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// TestManagementChangesApplyAtOnce: the token endpoint caches clients and grants, but a change made
// through the Management API on this node applies to the next request — a rotated secret or a deleted
// grant must not keep working until the cache expires.
func TestManagementChangesApplyAtOnce(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	ctx := context.Background()
	cc := func(secret string) error {
		_, err := (&clientcredentials.Config{ClientID: n.tenant.M2MApp.ClientID, ClientSecret: secret,
			TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {devtenant.APIIdentifier}}}).Token(ctx)
		return err
	}
	if err := cc(n.tenant.M2MApp.ClientSecret); err != nil {
		t.Fatalf("before rotation: %v", err) // also warms the cache
	}
	status, rotated := m.do("POST", "clients/"+n.tenant.M2MApp.ClientID+"/rotate-secret", nil)
	if status != http.StatusOK || rotated["client_secret"] == nil {
		t.Fatalf("rotate-secret: %d %v", status, rotated)
	}
	if err := cc(n.tenant.M2MApp.ClientSecret); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("old secret after rotation: %v; want invalid_client", err)
	}
	newSecret := rotated["client_secret"].(string)
	if err := cc(newSecret); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	_, grants := m.do("GET", "client-grants?client_id="+n.tenant.M2MApp.ClientID, nil)
	id := grants["list"].([]any)[0].(map[string]any)["id"].(string)
	if status, out := m.do("DELETE", "client-grants/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete grant: %d %v", status, out)
	}
	if err := cc(newSecret); err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("token after the grant was deleted: %v; want access_denied", err)
	}
}
