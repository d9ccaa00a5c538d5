package domain_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// oldRefreshDoc is a refresh token as it was stored while its context was a map[string]any read
// by key: the keys must still read into RefreshContext.
const oldRefreshDoc = `{"family_id":"fam_1","generation":2,"client_id":"c1","user_id":"auth0|1","session_id":"sid_1",` +
	`"audience":"https://api.yourapp.com","scope":"openid offline_access read:own_data","rotating":true,` +
	`"auth_time":"2024-05-01T10:00:00Z","claims":{"access_token":{"https://yourapp.com/tier":"gold"},` +
	`"action_scopes":["read:own_data"],"id_token":{"https://yourapp.com/roles":["admin"]},"include_auth_time":true},` +
	`"created_at":"2024-05-01T10:00:00Z"}`

func TestRefreshContextReadsTheMapShape(t *testing.T) {
	var rt domain.RefreshToken
	if err := json.Unmarshal([]byte(oldRefreshDoc), &rt); err != nil {
		t.Fatal(err)
	}
	want := domain.RefreshContext{
		IDTokenClaims:     map[string]any{"https://yourapp.com/roles": []any{"admin"}},
		AccessTokenClaims: map[string]any{"https://yourapp.com/tier": "gold"},
		IncludeAuthTime:   true,
		ActionScopes:      []string{"read:own_data"},
	}
	if !reflect.DeepEqual(rt.Claims, want) {
		t.Fatalf("context = %#v", rt.Claims)
	}

	// Written again, it keeps the old keys and values, so a node still reading the map agrees.
	b, err := json.Marshal(&rt)
	if err != nil {
		t.Fatal(err)
	}
	var again, old map[string]any
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(oldRefreshDoc), &old); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again["claims"], old["claims"]) {
		t.Fatalf("claims written as %v, were %v", again["claims"], old["claims"])
	}
}

func TestRefreshContextEmpty(t *testing.T) {
	for _, doc := range []string{`{"family_id":"f"}`, `{"family_id":"f","claims":{}}`, `{"family_id":"f","claims":null}`} {
		var rt domain.RefreshToken
		if err := json.Unmarshal([]byte(doc), &rt); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if !reflect.DeepEqual(rt.Claims, domain.RefreshContext{}) {
			t.Fatalf("%s: context = %#v", doc, rt.Claims)
		}
	}
	// An empty context is not written, as the map was not when it had no key.
	b, err := json.Marshal(&domain.RefreshToken{FamilyID: "f"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["claims"]; ok {
		t.Fatalf("empty context written: %s", b)
	}
}

func TestCodeRefreshContext(t *testing.T) {
	c := domain.AuthorizationCode{
		IDTokenClaims: map[string]any{"a": 1}, AccessTokenClaims: map[string]any{"b": 2},
		IncludeAuthTime: true, ActionScopes: []string{"read:own_data"},
	}
	got := c.RefreshContext()
	if !reflect.DeepEqual(got, domain.RefreshContext{IDTokenClaims: c.IDTokenClaims, AccessTokenClaims: c.AccessTokenClaims,
		IncludeAuthTime: true, ActionScopes: c.ActionScopes}) {
		t.Fatalf("%#v", got)
	}
}
