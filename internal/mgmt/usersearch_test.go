package mgmt_test

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

// TestUserSearchTrickyInput: every q, however odd, is answered 200 with exactly the users it means
// or 400 naming what q cannot express — never a 500 — on each engine.
func TestUserSearchTrickyInput(t *testing.T) {
	engines := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store { return sqlitetest.New(t, sqlite.Options{}) },
	}
	if os.Getenv(pgtest.URLEnv) != "" {
		engines["postgres"] = func(t *testing.T) store.Store { return pgtest.Open(t, pgtest.SchemaURL(t), postgres.Options{}) }
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			e := newEnv(t, func(o *mgmt.Options) { o.Store = st })
			for _, u := range []map[string]any{
				{"email": "jane@example.com", "name": "Jane Doe", "nickname": "JD"},
				{"email": "obrien@example.com", "name": "Conan O'Brien"},
				{"email": "zoe@example.com", "name": "Zoë Ünïcode", "nickname": "zoë"},
				{"email": "pct@example.com", "name": "100% _sure_"},
				{"email": "quote@example.com", "name": `Say "Hi"`},
			} {
				u["connection"], u["password"] = conn, "Str0ng!pass"
				e.must(t, 201, "POST", "/users", u)
			}
			all := []string{"jane@example.com", "obrien@example.com", "zoe@example.com", "pct@example.com", "quote@example.com"}
			for _, tc := range []struct {
				q    string
				want []string // nil: refused with 400
			}{
				{``, all},
				{`   `, all},
				{`email:"a' OR 1=1"`, []string{}},
				{`email:"jane@example.com' OR '1'='1"`, []string{}},
				{`name:"conan o'brien"`, []string{"obrien@example.com"}},
				{`name:conan*`, []string{"obrien@example.com"}},
				{`name:"Say \"Hi\""`, []string{"quote@example.com"}},
				{`name:"ZOË ÜNÏCODE"`, []string{"zoe@example.com"}},
				{`name:zoë*`, []string{"zoe@example.com"}},
				{`nickname:ZOË`, []string{"zoe@example.com"}},
				{`zoë`, []string{"zoe@example.com"}},
				{`name:100%*`, []string{"pct@example.com"}},
				{`name:1_0*`, []string{}},
				{`email:%*`, []string{}},
				{`email:_*`, []string{}},
				{`email:j*`, []string{"jane@example.com"}},
				{`jd`, []string{"jane@example.com"}},
				{`\`, []string{}},
				{`email:'`, []string{}},
				{`email:"\u0000"`, []string{}},
				{`*`, nil},
				{`email:*`, nil},
				{`email:"*"`, nil},
				{`email:j*e`, nil},
				{`email:*e`, nil},
				{`email:j?ne@example.com`, nil},
				{`name:"unterminated`, nil},
				{`""`, nil},
				{`email:a' OR 1=1`, nil},
				{`'; DROP TABLE users; --`, nil},
				{`email:(jane)`, nil},
				{`password:x`, nil},
				{"email:a\x00b", nil},
				{"name:\xff*", nil},
				{"email:jane\x1b", nil},
				{strings.Repeat("a", 5000), nil},
			} {
				r := e.call(t, "admin", "GET", "/users?include_totals=true&q="+url.QueryEscape(tc.q), nil)
				if tc.want == nil {
					if r.status != 400 || !strings.Contains(string(r.raw), `"errorCode":"invalid_query_string"`) ||
						!strings.Contains(string(r.raw), "on property q") {
						t.Errorf("q=%q: %d %s, want 400 invalid_query_string on property q", tc.q, r.status, r.raw)
					}
					continue
				}
				if r.status != 200 {
					t.Errorf("q=%q: %d %s", tc.q, r.status, r.raw)
					continue
				}
				got := []string{}
				for _, u := range r.obj(t)["users"].([]any) {
					got = append(got, u.(map[string]any)["email"].(string))
				}
				slices.Sort(got)
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("q=%q: got %v, want %v", tc.q, got, want)
				}
			}
			// The store stays whole after the injection attempts.
			if l := e.must(t, 200, "GET", "/users", nil).arr(t); len(l) != len(all) {
				t.Errorf("users after the attempts: %d", len(l))
			}
		})
	}
}
