package admin

import (
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

func TestUserQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"jane", "email:jane*"},
		{"jane@example.com", "email:jane@example.com*"},
		{"user+tag@ex", "email:user+tag@ex*"},
		{"name:Jane*", "name:Jane*"},     // the API's syntax, passed as typed
		{`email:"a b"`, `email:"a b"`},   // quoted
		{"jane doe", "jane doe"},         // two words: the API decides
		{"ja*ne", "ja*ne"},               // a wildcard the API refuses with its own message
		{`a\b`, `a\b`},                   // no escaping games
		{"(admin)", "(admin)"},           // grouping: refused by the API, not rewritten
		{"blocked:true", "blocked:true"}, // a field
		{"ümlaut@example.de", "email:ümlaut@example.de*"},
	} {
		if got := userQuery(tc.in); got != tc.want {
			t.Errorf("userQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPager(t *testing.T) {
	for _, tc := range []struct {
		page, shown, total int
		first, last        int
		prev, next         string
	}{
		{0, 0, 0, 0, 0, "", ""},
		{0, 20, 20, 1, 20, "", ""},
		{0, 20, 21, 1, 20, "", "/admin/users?page=1&q=a%26b"},
		{1, 1, 21, 21, 21, "/admin/users?page=0&q=a%26b", ""},
		{2, 20, 100, 41, 60, "/admin/users?page=1&q=a%26b", "/admin/users?page=3&q=a%26b"},
	} {
		p := newPager("/admin/users", url.Values{"q": {"a&b"}}, tc.page, tc.shown, tc.total)
		if p.FirstShown != tc.first || p.LastShown != tc.last || p.PrevURL != tc.prev || p.NextURL != tc.next || p.Total != tc.total {
			t.Errorf("page %d of %d: %+v", tc.page, tc.total, p)
		}
	}
	if p := newPager("/admin/roles", url.Values{"q": {""}}, 0, 20, 40); p.NextURL != "/admin/roles?page=1" {
		t.Errorf("an empty search is left out of the links: %q", p.NextURL)
	}
}

func TestAuthTime(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	for _, tc := range []struct {
		token string
		want  time.Time
	}{
		{jwt(`{"auth_time":1700000000,"iat":1700000100}`), time.Unix(1700000000, 0)},
		{jwt(`{"iat":1700000100}`), time.Time{}}, // no auth_time: never recent, so re-authentication is asked
		{jwt(`{"auth_time":"1700000000"}`), time.Time{}},
		{jwt(`{"auth_time":-5}`), time.Time{}},
		{"not a jwt", time.Time{}},
		{"a.!!!.c", time.Time{}},
		{"", time.Time{}},
	} {
		if got := authTime(&webauth.Session{IDToken: tc.token}); !got.Equal(tc.want) {
			t.Errorf("authTime(%q) = %v, want %v", tc.token, got, tc.want)
		}
	}
}

func TestFlashesAreFixedTexts(t *testing.T) {
	for q, want := range map[string]string{"done=saved": "Changes saved.", "done=%3Cscript%3E": "", "done=": "", "": ""} {
		if got := flashFor(httptest.NewRequest("GET", "/admin/users?"+q, nil)); got != want {
			t.Errorf("flash for %q: %q", q, got)
		}
	}
}
