package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// BenchmarkUserSearch1M builds a tenant of 1,000,000 users (GATEHOUSE_BENCH_USERS overrides the
// count) on each engine and prints the median time of every documented q form, as GET /api/v2/users
// runs it (no count unless include_totals, 50 a page), and of paging to Auth0's last page. It builds
// the tenant with one INSERT … SELECT per 100,000 users, which takes a while, so it runs only with
// GATEHOUSE_BENCH_1M=1:
//
//	GATEHOUSE_BENCH_1M=1 go test -run x -bench UserSearch1M -benchtime 1x -timeout 60m ./internal/store/sqlstore/
func BenchmarkUserSearch1M(b *testing.B) {
	if os.Getenv("GATEHOUSE_BENCH_1M") != "1" {
		b.Skip("set GATEHOUSE_BENCH_1M=1 to build a 1,000,000-user tenant and time the user search")
	}
	n := 1_000_000
	if v := os.Getenv("GATEHOUSE_BENCH_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("GATEHOUSE_BENCH_USERS=%q: want a number ≥ 1000", v)
		}
	}
	type engine struct {
		open func(b *testing.B) (store.Store, func(ctx context.Context, from, to int) error)
	}
	engines := map[string]engine{"sqlite": {func(b *testing.B) (store.Store, func(ctx context.Context, from, to int) error) {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		return st, func(ctx context.Context, from, to int) error {
			_, err := st.DB().ExecContext(ctx, `WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $2) `+strings.ReplaceAll(benchInsert, "$DOC", ""), from, to)
			return err
		}
	}}}
	if os.Getenv(pgtest.URLEnv) != "" {
		engines["postgres"] = engine{func(b *testing.B) (store.Store, func(ctx context.Context, from, to int) error) {
			st := pgtest.Open(b, pgtest.SchemaURL(b), postgres.Options{})
			return st, func(ctx context.Context, from, to int) error {
				_, err := st.DB().ExecContext(ctx, `WITH s(i) AS (SELECT generate_series($1::bigint, $2::bigint - 1)) `+
					strings.ReplaceAll(benchInsert, "$DOC", "::json"), from, to)
				if err == nil && to == n {
					// What autovacuum does to a table that grew this much (PostgreSQL 13 and later
					// vacuum after inserts too): statistics, and the visibility map that lets an
					// index answer alone.
					_, err = st.DB().ExecContext(ctx, `VACUUM ANALYZE users`)
				}
				return err
			}
		}}
	}
	for _, name := range []string{"sqlite", "postgres"} {
		e, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st, insert := e.open(b)
			start := time.Now()
			for from := 0; from < n; from += 100_000 {
				if err := insert(ctx, from, min(from+100_000, n)); err != nil {
					b.Fatalf("build users %d…: %v", from, err)
				}
			}
			built := time.Since(start)
			fmt.Printf("%s: built %d users in %s (%.0f users/s)\n", name, n, built.Round(time.Millisecond), float64(n)/built.Seconds())
			// What a node does every minute; on SQLite it brings the planner's statistics up to date.
			t0 := time.Now()
			if _, err := st.DeleteExpired(ctx, time.Now()); err != nil {
				b.Fatal(err)
			}
			fmt.Printf("%s: the first collection of expired records after the build took %s\n", name, time.Since(t0).Round(time.Millisecond))
			b.ReportMetric(built.Seconds(), "s-build")
			mid := n * 3 / 4
			for _, c := range benchSearches(mid) {
				var ds []time.Duration
				var got, total int
				for range 15 {
					t := time.Now()
					// As GET /api/v2/users asks: a count only with include_totals, stopping at 1,000.
					list, tot, err := st.SearchUsers(ctx, store.UserQuery{Terms: c.terms, Sort: c.sort, SkipCount: !c.totals, CountCap: 1000}, c.page)
					if err != nil {
						b.Fatalf("%s: %v", c.q, err)
					}
					ds = append(ds, time.Since(t))
					got, total = len(list), tot
				}
				slices.Sort(ds)
				med := ds[len(ds)/2]
				fmt.Printf("%-8s %-55s median %8.2f ms  (max %7.2f ms; %d on the page, total %d)\n", name, c.q, float64(med.Microseconds())/1000,
					float64(ds[len(ds)-1].Microseconds())/1000, got, total)
				if got == 0 {
					b.Errorf("%s: no result; the benchmark measures nothing", c.q)
				}
			}
		})
	}
}

// benchInsert (its $DOC the engine's cast of the document) makes user i of the generated series s: email u<i>@example.com, user_id auth0|<i>,
// username user<i>, name "N<i mod 1000> User<i>", nickname u<i>; every tenth user blocked, every
// other one verified; one microsecond apart in creation; updated up to a millisecond later; two in
// three logged in (i mod 17 times, at times scattered over the tenant); the reversed columns of
// migration 0020 written as the store writes them.
var benchInsert = `INSERT INTO users (user_id, connection, email, username, name_lower, nickname_lower, email_verified,
	blocked, password_hash, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, doc,
	email_rev, username_rev, name_rev, nickname_rev, user_id_rev)
SELECT 'auth0|' || i, 'Username-Password-Authentication', 'u' || i || '@example.com', 'user' || i,
	'n' || (i % 1000) || ' user' || i, 'u' || i, i % 2 = 0, i % 10 = 0, '', 1767225600000000 + i, 1767225600000000 + i + (i * 31) % 1000,
	CASE WHEN i % 3 = 0 THEN NULL ELSE 1767300000000000 + (i * 7919) % 1000003 END, '', i % 17, NULL,
	('{"user_id":"auth0|' || i || '","email":"u' || i || '@example.com","email_verified":' || CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END ||
	',"username":"user' || i || '","name":"N' || (i % 1000) || ' User' || i || '","nickname":"u' || i || '","blocked":' ||
	CASE WHEN i % 10 = 0 THEN 'true' ELSE 'false' END || '}')$DOC,
	` + benchReverse("'u' || i || '@example.com'") + `, ` + benchReverse("'user' || i") + `, ` +
	benchReverse("'n' || (i % 1000) || ' user' || i") + `, ` + benchReverse("'u' || i") + `, ` + benchReverse("'auth0|' || i") + `
FROM s`

// benchReverse is SQL reversing expr (at most 24 characters, as every generated value is) on
// either engine: SQLite has no reverse(), and substr past the end is empty on both.
func benchReverse(expr string) string {
	parts := make([]string, 24)
	for i := range parts {
		parts[i] = "substr(" + expr + ", " + strconv.Itoa(24-i) + ", 1)"
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

type benchSearch struct {
	q      string // the GET /api/v2/users query it stands for
	terms  []store.UserQueryTerm
	page   store.Page
	sort   store.UserSort
	totals bool
}

// benchSearches are the documented q forms, the sorts and the paging, for a tenant where user mid
// exists.
func benchSearches(mid int) []benchSearch {
	m := strconv.Itoa(mid)
	t := func(field, value string) store.UserQueryTerm { return store.UserQueryTerm{Field: field, Value: value} }
	one := func(field, value string) []store.UserQueryTerm { return []store.UserQueryTerm{t(field, value)} }
	by := func(field string, desc bool) store.UserSort { return store.UserSort{Field: field, Desc: desc} }
	return []benchSearch{
		{q: "(no q) first page", page: store.Page{}},
		{q: "(no q) page=19&per_page=50 (the last Auth0 allows)", page: store.Page{Page: 19, PerPage: 50}},
		{q: "(no q) page=9&per_page=100", page: store.Page{Page: 9, PerPage: 100}},
		{q: "(no q) include_totals=true", totals: true},
		{q: `email:"u` + m + `@example.com"`, terms: one("email", "u"+m+"@example.com")},
		{q: "email:u98*", terms: one("email", "u98*")},
		{q: "email:u98* include_totals=true", terms: one("email", "u98*"), totals: true},
		{q: "email:u98* page=19&per_page=50", terms: one("email", "u98*"), page: store.Page{Page: 19, PerPage: 50}},
		{q: "email:u*", terms: one("email", "u*")},
		{q: "email:u" + m[:4] + "*", terms: one("email", "u"+m[:4]+"*")},
		{q: `user_id:"auth0|` + m + `"`, terms: one("user_id", "auth0|"+m)},
		{q: "user_id:auth0|" + m[:4] + "*", terms: one("user_id", "auth0|"+m[:4]+"*")},
		{q: "username:user" + m, terms: one("username", "user"+m)},
		{q: "username:user" + m[:4] + "*", terms: one("username", "user"+m[:4]+"*")},
		{q: `name:"N` + strconv.Itoa(mid%1000) + ` User` + m + `"`, terms: one("name", "N"+strconv.Itoa(mid%1000)+" User"+m)},
		{q: "name:n12*", terms: one("name", "n12*")},
		{q: "name:n123*", terms: one("name", "n123*")},
		{q: "nickname:u" + m, terms: one("nickname", "u"+m)},
		{q: "nickname:u" + m[:4] + "*", terms: one("nickname", "u"+m[:4]+"*")},
		{q: "u" + m + " (free text)", terms: one("", "u"+m)},
		{q: "u" + m[:4] + "* (free text prefix)", terms: one("", "u"+m[:4]+"*")},
		{q: "u98* (free text prefix, broad)", terms: one("", "u98*")},
		{q: "u98* include_totals=true", terms: one("", "u98*"), totals: true},
		{q: "email:u98* AND email_verified:true", terms: []store.UserQueryTerm{t("email", "u98*"), t("email_verified", "true")}},
		{q: "blocked:true", terms: one("blocked", "true")},
		{q: "email_verified:false", terms: one("email_verified", "false")},
		{q: "identities.connection:Username-Password-Authentication", terms: one("connection", "Username-Password-Authentication")},
		// Leading wildcards (suffixes): one user, a hundred, ten thousand, every user.
		{q: "email:*" + m[1:] + "@example.com", terms: one("email", "*"+m[1:]+"@example.com")},
		{q: "email:*0000@example.com", terms: one("email", "*0000@example.com")},
		{q: "name:*r" + m, terms: one("name", "*r"+m)},
		{q: "username:*" + m[2:], terms: one("username", "*"+m[2:])},
		{q: "*" + m[2:] + " (free text suffix)", terms: one("", "*"+m[2:])},
		{q: "*098 (free text suffix, 4 fields × 1,000)", terms: one("", "*098")},
		{q: "email:*@example.com (every user)", terms: one("email", "*@example.com")},
		{q: "email:*@example.com include_totals=true", terms: one("email", "*@example.com"), totals: true},
		{q: "*example.com (free text suffix, every user)", terms: one("", "*example.com")},
		// Sorted lists.
		{q: "(no q) sort=email:1", sort: by("email", false)},
		{q: "(no q) sort=email:-1 page=19", sort: by("email", true), page: store.Page{Page: 19, PerPage: 50}},
		{q: "(no q) sort=name:-1", sort: by("name", true)},
		{q: "(no q) sort=username:1", sort: by("username", false)},
		{q: "(no q) sort=user_id:-1", sort: by("user_id", true)},
		{q: "(no q) sort=last_login:-1", sort: by("last_login", true)},
		{q: "(no q) sort=last_login:1 page=19", sort: by("last_login", false), page: store.Page{Page: 19, PerPage: 50}},
		{q: "(no q) sort=logins_count:-1", sort: by("logins_count", true)},
		{q: "(no q) sort=updated_at:-1", sort: by("updated_at", true)},
		{q: "(no q) sort=created_at:-1", sort: by("created_at", true)},
		{q: "email:u98* sort=email:-1", terms: one("email", "u98*"), sort: by("email", true)},
		{q: "email:u98* sort=last_login:-1", terms: one("email", "u98*"), sort: by("last_login", true)},
		{q: "u98* sort=name:1 (free text)", terms: one("", "u98*"), sort: by("name", false)},
		{q: "blocked:true sort=logins_count:-1", terms: one("blocked", "true"), sort: by("logins_count", true)},
		{q: "email:*@example.com sort=email:-1", terms: one("email", "*@example.com"), sort: by("email", true)},
	}
}
