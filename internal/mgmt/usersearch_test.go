package mgmt_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
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
				{`email:*le.com`, all},
				{`name:*ÏCODE`, []string{"zoe@example.com"}},
				{`*brien`, []string{"obrien@example.com"}},
				{`*@example.com AND name:j*`, []string{"jane@example.com"}},
				{`name:*_sure_`, []string{"pct@example.com"}},
				{`name:*%_sure_`, []string{}},
				{`name:*x%_`, []string{}},
				{`name:*o'brien`, []string{"obrien@example.com"}},
				{`name:*ne*`, nil},
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

// TestUserListSortAndTotals: sort takes Auth0's field:1|-1 for the fields the store orders by, and
// refuses others; include_totals reports at most 1,000, the most Auth0's search pages through (its
// import/export extension shows such a total as "1000+"), exactly below that.
func TestUserListSortAndTotals(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	e := newEnv(t, func(o *mgmt.Options) { o.Store = st })
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1003 {
		u := &domain.User{UserID: fmt.Sprintf("auth0|bulk%04d", i), Email: fmt.Sprintf("b%04d@bulk.test", (i*389)%1003),
			Name: fmt.Sprintf("Bulk %04d", i), PasswordHash: "$argon2id$v=19$stub", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		domain.ApplyUserDefaults(u)
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	total := func(q string) float64 {
		return e.must(t, 200, "GET", "/users?include_totals=true&per_page=1&"+q, nil).obj(t)["total"].(float64)
	}
	for q, want := range map[string]float64{
		"":                                    1000,
		"q=" + url.QueryEscape("*@bulk.test"): 1000,
		"q=" + url.QueryEscape("email:b000*"): 10,
		"q=" + url.QueryEscape("email:*7@bulk.test"): 100,
		"q=" + url.QueryEscape("name:*0001"):         1,
	} {
		if got := total(q); got != want {
			t.Errorf("total of %q = %v, want %v", q, got, want)
		}
	}
	emails := func(path string) []string {
		var out []string
		for _, u := range e.must(t, 200, "GET", path, nil).arr(t) {
			out = append(out, u.(map[string]any)["email"].(string))
		}
		return out
	}
	if got := emails("/users?sort=email:-1&per_page=3"); !slices.Equal(got, []string{"b1002@bulk.test", "b1001@bulk.test", "b1000@bulk.test"}) {
		t.Errorf("sort=email:-1: %v", got)
	}
	if got := emails("/users?sort=email:1&per_page=2&page=1&q=" + url.QueryEscape("*@bulk.test")); !slices.Equal(got, []string{"b0002@bulk.test", "b0003@bulk.test"}) {
		t.Errorf("sort=email:1 page 1 of a suffix search: %v", got)
	}
	if got := emails("/users?sort=created_at:-1&per_page=1"); len(got) != 1 || got[0] != fmt.Sprintf("b%04d@bulk.test", (1002*389)%1003) {
		t.Errorf("sort=created_at:-1: %v", got)
	}
	for _, bad := range []string{"email", "email:2", "email:asc", "app_metadata.plan:1", "password:1", ":1"} {
		r := e.call(t, "admin", "GET", "/users?sort="+url.QueryEscape(bad), nil)
		if r.status != 400 || !strings.Contains(string(r.raw), "on property sort") {
			t.Errorf("sort=%s: %d %s, want 400 on property sort", bad, r.status, r.raw)
		}
	}
}
