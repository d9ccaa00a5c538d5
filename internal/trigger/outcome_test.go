package trigger_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

var ctx = context.Background()

func MustUser(tb testing.TB, st store.Store) *domain.User {
	tb.Helper()
	u := &domain.User{UserID: domain.NewUserID(), Email: "u@example.test", Connection: domain.DefaultConnection,
		AppMetadata: map[string]any{"plan": "free", "legacy": true}}
	if err := st.CreateUser(ctx, u); err != nil {
		tb.Fatal(err)
	}
	return u
}

func jsonOf(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestApplyScopes(t *testing.T) {
	mayAdd := func(s string) bool { return s != "create:users" }
	cases := []struct {
		name             string
		tokens           trigger.Tokens
		add, remove      []string
		scopes, byAction []string
	}{
		{"added and recorded", trigger.Tokens{Scopes: []string{"openid"}, MayAdd: mayAdd},
			[]string{"read:own_data"}, nil, []string{"openid", "read:own_data"}, []string{"read:own_data"}},
		{"refused by the rule", trigger.Tokens{Scopes: []string{"openid"}, MayAdd: mayAdd},
			[]string{"create:users"}, nil, []string{"openid"}, nil},
		{"no rule refuses all", trigger.Tokens{Scopes: []string{"openid"}},
			[]string{"read:own_data"}, nil, []string{"openid"}, nil},
		{"malformed and granted ones skipped", trigger.Tokens{Scopes: []string{"openid"}, MayAdd: mayAdd},
			[]string{"", "a b", "openid", "x\ty"}, nil, []string{"openid"}, nil},
		{"removed from both", trigger.Tokens{Scopes: []string{"openid", "offline_access"}, MayAdd: mayAdd},
			[]string{"read:own_data"}, []string{"offline_access", "read:own_data"}, []string{"openid"}, []string{}},
		{"fixed scopes ignore changes", trigger.Tokens{Scopes: []string{"openid", "offline_access"}, ActionScopes: []string{"offline_access"}, MayAdd: mayAdd, ScopesFixed: true},
			[]string{"read:own_data"}, []string{"offline_access"}, []string{"openid", "offline_access"}, []string{"offline_access"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tk := tc.tokens
			deny, err := trigger.Apply(ctx, nil, "", trigger.Outcome{AddScopes: tc.add, RemoveScopes: tc.remove}, &tk)
			if deny != nil || err != nil {
				t.Fatalf("deny %v, err %v", deny, err)
			}
			if !reflect.DeepEqual(tk.Scopes, tc.scopes) || !reflect.DeepEqual(tk.ActionScopes, tc.byAction) {
				t.Fatalf("scopes %v, by actions %v", tk.Scopes, tk.ActionScopes)
			}
		})
	}
}

func TestApplyClaimsReplace(t *testing.T) {
	tk := trigger.Tokens{IDTokenClaims: map[string]any{"https://e.test/old": 1}, AccessTokenClaims: map[string]any{"https://e.test/old": 1}}
	out := trigger.Outcome{IDTokenClaims: map[string]any{"https://e.test/new": 2}}
	if _, err := trigger.Apply(ctx, nil, "", out, &tk); err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, tk.IDTokenClaims) != `{"https://e.test/new":2}` || tk.AccessTokenClaims != nil {
		t.Fatalf("id %v, access %v", tk.IDTokenClaims, tk.AccessTokenClaims)
	}
}

// Metadata is merged into the stored user in a transaction, nil deleting a key, and saved when the
// outcome denies too; a denial leaves the tokens alone.
func TestApplyMetadataAndDenial(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	u := MustUser(t, st)
	tk := trigger.Tokens{Scopes: []string{"openid"}, MayAdd: func(string) bool { return true }}
	out := trigger.Outcome{
		Denial:       &trigger.Denial{Code: "access_denied", Reason: "no"},
		AppMetadata:  map[string]any{"plan": "gold", "legacy": nil},
		UserMetadata: map[string]any{"lang": "fr"},
		AddScopes:    []string{"read:own_data"}, IDTokenClaims: map[string]any{"x": 1},
	}
	deny, err := trigger.Apply(ctx, st, u.UserID, out, &tk)
	if err != nil {
		t.Fatal(err)
	}
	if deny == nil || deny.Reason != "no" {
		t.Fatalf("deny %v", deny)
	}
	if !reflect.DeepEqual(tk.Scopes, []string{"openid"}) || tk.IDTokenClaims != nil {
		t.Fatalf("tokens changed by a denial: %+v", tk)
	}
	got, err := st.GetUser(ctx, u.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, got.AppMetadata) != `{"plan":"gold"}` || jsonOf(t, got.UserMetadata) != `{"lang":"fr"}` {
		t.Fatalf("stored app %v, user %v", got.AppMetadata, got.UserMetadata)
	}
	if jsonOf(t, u.AppMetadata) != `{"legacy":true,"plan":"free"}` {
		t.Fatalf("the caller's user was modified: %v", u.AppMetadata)
	}
}

func TestApplyMetadataFailureIsReported(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	tk := trigger.Tokens{}
	out := trigger.Outcome{AppMetadata: map[string]any{"a": 1}, IDTokenClaims: map[string]any{"x": 1}}
	deny, err := trigger.Apply(ctx, st, "auth0|missing", out, &tk)
	if err == nil || deny != nil {
		t.Fatalf("deny %v, err %v", deny, err)
	}
	if tk.IDTokenClaims == nil {
		t.Fatal("claims not applied after a metadata failure")
	}
	if _, err := trigger.Apply(ctx, st, "", out, &tk); err == nil {
		t.Fatal("metadata without a user accepted")
	}
}

// A redirect pauses the Actions: Apply hands it to the flow and applies nothing else, so a user
// who never comes back leaves no metadata written and no claims on the tokens.
func TestApplyRedirectAppliesNothingElse(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	u := MustUser(t, st)
	tk := trigger.Tokens{Scopes: []string{"openid"}, MayAdd: func(string) bool { return true }}
	out := trigger.Outcome{
		Redirect:    &trigger.Redirect{URL: "https://idv.example.test/", Resume: []byte(`{}`)},
		AppMetadata: map[string]any{"plan": "gold"}, IDTokenClaims: map[string]any{"x": 1}, AddScopes: []string{"read:own_data"},
	}
	deny, err := trigger.Apply(ctx, st, u.UserID, out, &tk)
	if deny != nil || err != nil {
		t.Fatalf("deny %v, err %v", deny, err)
	}
	if tk.Redirect == nil || tk.Redirect.URL != "https://idv.example.test/" || tk.IDTokenClaims != nil || !reflect.DeepEqual(tk.Scopes, []string{"openid"}) {
		t.Fatalf("tokens %+v", tk)
	}
	got, err := st.GetUser(ctx, u.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, got.AppMetadata) != `{"legacy":true,"plan":"free"}` {
		t.Fatalf("metadata written before the run ended: %v", got.AppMetadata)
	}
	// The next outcome (the resumed run's) clears the redirect.
	if _, err := trigger.Apply(ctx, st, u.UserID, trigger.Outcome{}, &tk); err != nil || tk.Redirect != nil {
		t.Fatalf("redirect %v, err %v", tk.Redirect, err)
	}
}
