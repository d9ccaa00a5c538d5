package mgmt_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestUserBlocks: brute-force blocks are listed by user id and by identifier, and lifting them lets
// the next attempt through before the block would have run out.
func TestUserBlocks(t *testing.T) {
	var bf *guard.BruteForce
	e := newEnv(t, func(o *mgmt.Options) {
		bf = &guard.BruteForce{Counters: o.Store, Threshold: 3}
		o.BruteForce = bf
	})
	ctx := context.Background()
	u := storetest.MustUser(t, e.st, "Locked@Example.com")
	attempt := func(ip string) guard.Attempt {
		a, err := bf.Attempt(ctx, ip, "locked@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for range 3 {
		attempt("192.0.2.1")
		attempt("192.0.2.2")
	}
	attempt("192.0.2.3") // one failure from a third address: not a block
	if attempt("192.0.2.1").Allowed {
		t.Fatal("the fourth attempt was allowed")
	}

	path := "/user-blocks/" + url.PathEscape(u.UserID)
	got := e.must(t, 200, "GET", path, nil).obj(t)["blocked_for"].([]any)
	if len(got) != 2 {
		t.Fatalf("blocked_for %v, want the two blocked addresses", got)
	}
	if b := got[0].(map[string]any); b["identifier"] != "locked@example.com" || b["connection"] != conn {
		t.Errorf("entry %v", b)
	}
	byID := e.must(t, 200, "GET", "/user-blocks?identifier="+url.QueryEscape("LOCKED@example.com"), nil).obj(t)["blocked_for"].([]any)
	if len(byID) != 2 {
		t.Errorf("by identifier: %v", byID)
	}
	wantError(t, e.call(t, "admin", "GET", "/user-blocks", nil), 400, "invalid_query_string", "identifier", false)
	wantError(t, e.call(t, "admin", "GET", "/user-blocks/"+url.PathEscape("auth0|nobody"), nil), 404, "inexistent_user", "The user does not exist.", true)
	wantError(t, e.call(t, "scopes:read:users", "DELETE", path, nil), 403, "insufficient_scope", "update:users", false)

	e.must(t, 204, "DELETE", path, nil)
	if left := e.must(t, 200, "GET", path, nil).obj(t)["blocked_for"].([]any); len(left) != 0 {
		t.Errorf("after lifting: %v", left)
	}
	if !attempt("192.0.2.1").Allowed {
		t.Error("a lifted block still refuses the next attempt")
	}

	for range 3 {
		attempt("192.0.2.9")
	}
	e.must(t, 204, "DELETE", "/user-blocks?identifier="+url.QueryEscape("locked@example.com"), nil)
	if !attempt("192.0.2.9").Allowed {
		t.Error("lifting by identifier did not lift the block")
	}
}
