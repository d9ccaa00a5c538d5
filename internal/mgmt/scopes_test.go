package mgmt_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/mgmt"
)

func TestScopes(t *testing.T) {
	a := mgmt.Scopes()
	seen := map[string]bool{}
	for _, s := range a {
		if seen[s] {
			t.Errorf("%s listed twice", s)
		}
		seen[s] = true
	}
	if !seen["read:users"] || !seen["read:current_user"] {
		t.Error("missing scopes")
	}
	a[0] = "changed"
	if mgmt.Scopes()[0] == "changed" {
		t.Error("a caller changed the list for everyone")
	}
	rs := mgmt.APIResourceServer("https://t/")
	if rs.Identifier != "https://t/api/v2/" || !rs.IsSystem || rs.Name != mgmt.APIName || len(rs.Scopes) != len(a) {
		t.Errorf("%+v", rs)
	}
	if rs.Scopes[0].Description != "Read Client Grants" {
		t.Errorf("description %q", rs.Scopes[0].Description)
	}
}
