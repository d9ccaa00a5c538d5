package oauth_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestMissingClientGrantIsCachedAndForgotten: the cache remembers that a client holds no grant on
// an API (user sign-ins ask on every exchange), and forgets it as soon as configuration changes on
// this node, so a grant created through the Management API works on the next request.
func TestMissingClientGrantIsCachedAndForgotten(t *testing.T) {
	e := MustEnv(t, envOptions{})
	cc := func() tokenAnswer {
		return e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", noGrantID,
			"client_secret", m2mSecret, "audience", apiID)})
	}
	if a := cc(); a.status != 403 || a.body["error"] != "access_denied" {
		t.Fatalf("no grant: %d %s, want 403 access_denied", a.status, a.raw)
	}
	must(t, e.Store.CreateClientGrant(context.Background(), &domain.ClientGrant{ID: domain.NewClientGrantID(),
		ClientID: noGrantID, Audience: apiID, Scope: []string{"read:a"}}))
	if a := cc(); a.status != 403 {
		t.Fatalf("a cached absence answered %d %s before the change was announced, want the cached 403", a.status, a.raw)
	}
	e.Handler.ConfigChanged()
	if a := cc(); a.status != 200 || a.body["scope"] != "read:a" {
		t.Fatalf("after ConfigChanged: %d %s, want the new grant's token", a.status, a.raw)
	}
}
