package mgmt

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestParseUserQuery(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []store.UserQueryTerm
	}{
		{`email:"jane@example.com"`, []store.UserQueryTerm{{Field: "email", Value: "jane@example.com"}}},
		{`email:jane*`, []store.UserQueryTerm{{Field: "email", Value: "jane*"}}},
		{`name:"Jane Doe"`, []store.UserQueryTerm{{Field: "name", Value: "Jane Doe"}}},
		{`user_id:"auth0|abc123"`, []store.UserQueryTerm{{Field: "user_id", Value: "auth0|abc123"}}},
		{`jane`, []store.UserQueryTerm{{Field: "", Value: "jane"}}},
		{`"jane doe"`, []store.UserQueryTerm{{Field: "", Value: "jane doe"}}},
		{`email:j* AND blocked:false`, []store.UserQueryTerm{{Field: "email", Value: "j*"}, {Field: "blocked", Value: "false"}}},
		{`name:"say \"hi\""`, []store.UserQueryTerm{{Field: "name", Value: `say "hi"`}}},
		{`identities.connection:"Partners-DB"`, []store.UserQueryTerm{{Field: "connection", Value: "Partners-DB"}}},
		{`name:*doe`, []store.UserQueryTerm{{Field: "name", Value: "*doe"}}},
		{`name:*usa`, []store.UserQueryTerm{{Field: "name", Value: "*usa"}}},
		{`*@example.com`, []store.UserQueryTerm{{Field: "", Value: "*@example.com"}}},
		{`email:*ë.fr AND email_verified:true`, []store.UserQueryTerm{{Field: "email", Value: "*ë.fr"}, {Field: "email_verified", Value: "true"}}},
		{strings.TrimSpace(strings.Repeat("e* AND ", maxQueryTerms-1)) + " e*", slices.Repeat([]store.UserQueryTerm{{Value: "e*"}}, maxQueryTerms)},
	} {
		got, err := parseUserQuery(tc.q)
		if err != nil || !reflect.DeepEqual(got.Terms, tc.want) {
			t.Errorf("%s: got %+v, %v; want %+v", tc.q, got.Terms, err, tc.want)
		}
	}
	for _, bad := range []string{
		`a OR b`, `NOT email:x`, `-email:x`, `(email:x)`, `logins_count:[1 TO 5]`, `app_metadata.plan:pro`,
		`_exists_:email`, `name:*sa`, `name:*ë`, `*ab`, `name:*doe*`, `name:*d?e`, `name:**doe`, `blocked:*rue`,
		`identities.connection:*-DB`, `name:j?ne`, `email:*`, `name:"unterminated`, `blocked:maybe`, `email:`, `AND`,
		`name:"j*"`, "email:\xff*", "name:a\x00b", "email:\x1b", strings.Repeat("a", 4097),
		strings.Repeat("*est ", maxQueryTerms+1), strings.Repeat("e* AND ", maxQueryTerms) + "e*",
	} {
		if _, err := parseUserQuery(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestRedactedBody(t *testing.T) {
	got := redactedBody([]byte(`{"email":"a@b.c","password":"x","client_secret":"y","scopes":[{"value":"read:x"}],"secrets":[{"name":"K","value":"v"}],"nested":{"password":"z"}}`))
	want := map[string]any{
		"email": "a@b.c", "scopes": []any{map[string]any{"value": "read:x"}},
		"secrets": []any{map[string]any{"name": "K"}}, "nested": map[string]any{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if redactedBody([]byte("not json")) != nil || redactedBody(nil) != nil {
		t.Fatal("non-JSON body recorded")
	}
}

// TestParseUserSortBoundsEcho: a sort too long to be one is refused without echoing it back.
func TestParseUserSortBoundsEcho(t *testing.T) {
	long := strings.Repeat("x", 10_000) + ":1"
	if _, err := parseUserSort(long); err == nil || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("long sort: %v", err)
	}
	if s, err := parseUserSort("email:-1"); err != nil || s.Field != "email" || !s.Desc {
		t.Errorf("email:-1: %+v %v", s, err)
	}
}
