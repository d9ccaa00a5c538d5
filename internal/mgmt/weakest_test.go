package mgmt_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/mgmt"
)

// TestEveryRouteRefusesTheWeakestTokens: every Management API route, old or new, is refused (403
// insufficient_scope, before any work) to a machine token holding only another area's scope, and to
// a token a user obtained even when it claims every scope there is, unless the route is one of a
// user's own (*:current_user*) and the path names another user. No route is open to any token.
func TestEveryRouteRefusesTheWeakestTokens(t *testing.T) {
	// Every route twice is more than the per-caller limit allows in its window; the limit is not
	// what is under test.
	e := newEnv(t, func(o *mgmt.Options) { o.RateLimit.Disabled = true })
	param := regexp.MustCompile(`\{[^}]+\}`)
	routes := mgmt.RouteSpecs()
	if len(routes) < 100 {
		t.Fatalf("%d routes listed; the Management API has more", len(routes))
	}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		if len(rt.Scopes) == 0 && len(rt.Self) == 0 {
			t.Errorf("%s: no scope guards it", name)
			continue
		}
		path := param.ReplaceAllString(rt.Path, "someone_else")
		var body any
		if rt.Method == "POST" || rt.Method == "PATCH" || rt.Method == "PUT" {
			body = map[string]any{}
		}
		other := "scopes:read:stats"
		if strings.HasPrefix(rt.Path, "/stats") {
			other = "scopes:read:clients"
		}
		for _, token := range []string{other, "user:auth0|me"} {
			r := e.call(t, token, rt.Method, path, body)
			if r.status != 403 || !strings.Contains(string(r.raw), "insufficient_scope") {
				t.Errorf("%s with %s: %d %.200s, want 403 insufficient_scope", name, token, r.status, r.raw)
			}
		}
	}
}
