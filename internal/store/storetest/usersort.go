package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testUserSort checks every sort field in both directions against a model, on a plain list and on
// a search split into branches (a term without a field), whole and page by page; and that a capped
// count stops at its cap while an uncapped one is exact.
func testUserSort(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	names := []string{"Zed", "alma", "Émile", "bob", "Alma", "carl", "dora", "éva", "al", "Bo", "zz", "ann"}
	for i, n := range names {
		u := &domain.User{UserID: fmt.Sprintf("auth0|sort%02d", (i*7)%len(names)), Email: strings.ToLower(n) + fmt.Sprint(i) + "@sort.test",
			Name: n, Nickname: strings.ToUpper(n), PasswordHash: "$argon2id$v=19$stub", CreatedAt: t0.Add(time.Duration(i%4) * time.Second)}
		if i%3 != 0 {
			u.Username = "u" + strings.ToLower(n) + fmt.Sprint(i)
		}
		must(t, s.CreateUser(ctx, u))
		// Logins: none for every fourth user, otherwise i%3+1 of them, the last at a time that ties
		// for some users (so that ties fall back to creation order).
		if i%4 != 0 {
			for range i%3 + 1 {
				must(t, s.RecordLogin(ctx, u.UserID, "198.51.100.1", t0.Add(time.Duration(i%5)*time.Minute)))
			}
		}
	}
	all, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: []store.UserQueryTerm{{Field: "email", Value: "*@sort.test"}}, SkipCount: true},
		store.Page{PerPage: 100})
	must(t, err)
	eq(t, "users", len(all), len(names))
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			sort := store.UserSort{Field: field, Desc: desc}
			want := modelSort(all, sort)
			for _, terms := range [][]store.UserQueryTerm{
				{{Field: "email", Value: "*@sort.test"}},
				{{Value: "*@sort.test"}},
			} {
				name := fmt.Sprintf("sort %s desc=%v %q", field, desc, terms)
				list, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: terms, Sort: sort, SkipCount: true}, store.Page{PerPage: 100})
				must(t, err)
				if got := ids(list); !slices.Equal(got, want) {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
				var paged []string
				for page := 0; page < 5; page++ {
					list, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: terms, Sort: sort, SkipCount: true}, store.Page{Page: page, PerPage: 3})
					must(t, err)
					paged = append(paged, ids(list)...)
				}
				if !slices.Equal(paged, want) {
					t.Errorf("%s, by pages of 3: got %q, want %q", name, paged, want)
				}
			}
		}
	}
	for _, terms := range [][]store.UserQueryTerm{{{Field: "email", Value: "*@sort.test"}}, {{Value: "*@sort.test"}}, {{Value: "*sort.test"}, {Field: "email_verified", Value: "false"}}} {
		for _, c := range []struct{ capAt, want int }{{0, len(names)}, {5, 5}, {len(names), len(names)}, {1000, len(names)}} {
			_, total, err := s.SearchUsers(ctx, store.UserQuery{Terms: terms, CountCap: c.capAt}, store.Page{PerPage: 2})
			must(t, err)
			eq(t, fmt.Sprintf("total of %q capped at %d", terms, c.capAt), total, c.want)
		}
	}
	for _, bad := range []store.UserQuery{
		{Sort: store.UserSort{Field: "app_metadata.plan"}},
		{Sort: store.UserSort{Field: "password_hash"}},
		{Sort: store.UserSort{Field: "email"}, After: &store.UserCursor{CreatedAt: t0, UserID: "auth0|sort00"}},
	} {
		if _, _, err := s.SearchUsers(ctx, bad, store.Page{}); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%+v: error = %v, want invalid", bad, err)
		}
	}
}

func ids(list []*domain.User) []string {
	out := make([]string, 0, len(list))
	for _, u := range list {
		out = append(out, u.UserID)
	}
	return out
}

// modelSort orders users as the store does: by the field's stored value (text lower-cased, byte by
// byte; no last_login first), then created_at and user_id, all in one direction.
func modelSort(users []*domain.User, so store.UserSort) []string {
	key := func(u *domain.User) (int64, string, bool) { // number, text, present
		switch so.Field {
		case "updated_at":
			return u.UpdatedAt.UnixMicro(), "", true
		case "last_login":
			if u.LastLogin == nil {
				return 0, "", false
			}
			return u.LastLogin.UnixMicro(), "", true
		case "logins_count":
			return int64(u.LoginsCount), "", true
		case "email":
			return 0, domain.NormalizeEmail(u.Email), true
		case "name":
			return 0, strings.ToLower(u.Name), true
		case "nickname":
			return 0, strings.ToLower(u.Nickname), true
		case "username":
			return 0, strings.ToLower(u.Username), u.Username != ""
		case "user_id":
			return 0, u.UserID, true
		}
		return u.CreatedAt.UnixMicro(), "", true
	}
	sorted := slices.Clone(users)
	slices.SortStableFunc(sorted, func(a, b *domain.User) int {
		an, at, ap := key(a)
		bn, bt, bp := key(b)
		c := 0
		switch {
		case ap != bp:
			c = map[bool]int{false: -1, true: 1}[ap] // absent first
		default:
			c = cmp.Or(cmp.Compare(an, bn), strings.Compare(at, bt))
		}
		c = cmp.Or(c, a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.UserID, b.UserID))
		if so.Desc {
			c = -c
		}
		return c
	})
	return ids(sorted)
}

// testUserSuffixInStep: the reversed columns a suffix search reads follow every write of a user —
// create (also inside a transaction, as imports and account linking create), update of each text
// field (also inside a transaction, as imports upsert), and delete.
func testUserSuffixInStep(t *testing.T, s store.Store) {
	find := func(field, suffix string) []string {
		t.Helper()
		list, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: []store.UserQueryTerm{{Field: field, Value: "*" + suffix}}, SkipCount: true},
			store.Page{PerPage: 100})
		must(t, err)
		return ids(list)
	}
	expect := func(what, field, suffix string, want ...string) {
		t.Helper()
		if got := find(field, suffix); !slices.Equal(got, want) {
			t.Errorf("%s: %s:*%s found %q, want %q", what, field, suffix, got, want)
		}
	}
	u := &domain.User{UserID: "auth0|instep1", Email: "Keep@Alpha.test", Name: "Ann Alpha", Nickname: "alphie",
		Username: "alpha_user", PasswordHash: "$argon2id$v=19$stub"}
	must(t, s.CreateUser(ctx, u))
	expect("created", "email", "@alpha.test", u.UserID)
	expect("created", "name", "n alpha", u.UserID)
	expect("created", "nickname", "PHIE", u.UserID)
	expect("created", "username", "_user", u.UserID)
	expect("created", "user_id", "instep1", u.UserID)
	expect("created", "", "alpha.test", u.UserID)

	u.Email, u.Name, u.Nickname, u.Username = "keep@beta.test", "Bea Beta", "betty", ""
	must(t, s.UpdateUser(ctx, u))
	expect("updated: old email", "email", "@alpha.test")
	expect("updated: new email", "email", "@beta.test", u.UserID)
	expect("updated: old name", "name", "n alpha")
	expect("updated: new name", "name", "a beta", u.UserID)
	expect("updated: old nickname", "nickname", "phie")
	expect("updated: new nickname", "nickname", "etty", u.UserID)
	expect("updated: username removed", "username", "_user")
	expect("updated: any field", "", "alpha.test")

	v := &domain.User{UserID: "auth0|instep2", Email: "tx@gamma.test", Name: "Tx", Nickname: "tx", PasswordHash: "$argon2id$v=19$stub"}
	must(t, s.WithTx(ctx, func(tx store.Store) error { return tx.CreateUser(ctx, v) }))
	expect("created in a transaction", "email", "@gamma.test", v.UserID)
	v.Username = "Gamma_Ray"
	must(t, s.WithTx(ctx, func(tx store.Store) error { return tx.UpdateUser(ctx, v) }))
	expect("updated in a transaction", "username", "_ray", v.UserID)

	must(t, s.DeleteUser(ctx, u.UserID))
	expect("deleted", "email", "@beta.test")
	expect("deleted: the other user stays", "", "gamma.test", v.UserID)
}

// UpgradeBackfillsUserSuffixes: users written before migration 0020 (exec runs a statement on a
// database migrated to the version before it, with OldUserInsert) are found by a suffix search
// once upgrade migrates it, letters outside ASCII included.
func UpgradeBackfillsUserSuffixes(t *testing.T, exec func(query string, args ...any), upgrade func(t *testing.T) store.Store) {
	old := []struct{ id, email, name, nickname string }{
		{"auth0|old1", "zoë@example.com", "zoë ünïcode", "太郎"},
		{"auth0|old2", "emoji@example.org", "smile 😀", ""},
	}
	for _, u := range old {
		exec(OldUserInsert, u.id, u.email, u.name, u.nickname, `{"user_id":"`+u.id+`"}`)
	}
	s := upgrade(t)
	for _, c := range []struct {
		term store.UserQueryTerm
		want []string
	}{
		{store.UserQueryTerm{Field: "email", Value: "*ë@example.com"}, []string{"auth0|old1"}},
		{store.UserQueryTerm{Field: "email", Value: "*.org"}, []string{"auth0|old2"}},
		{store.UserQueryTerm{Field: "name", Value: "*ünïcode"}, []string{"auth0|old1"}},
		{store.UserQueryTerm{Field: "name", Value: "*e 😀"}, []string{"auth0|old2"}},
		{store.UserQueryTerm{Field: "nickname", Value: "*太郎"}, []string{"auth0|old1"}},
		{store.UserQueryTerm{Field: "user_id", Value: "*|old2"}, []string{"auth0|old2"}},
		{store.UserQueryTerm{Value: "*old1"}, []string{"auth0|old1"}},
	} {
		list, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: []store.UserQueryTerm{c.term}, SkipCount: true}, store.Page{})
		must(t, err)
		if got := ids(list); !slices.Equal(got, c.want) {
			t.Errorf("%+v after the upgrade: got %q, want %q", c.term, got, c.want)
		}
	}
}

// UserSortModel runs the sort model on s, for an engine's own tests: with the prefix probe off
// (every search unfenced) or forced.
func UserSortModel(t *testing.T, s store.Store) { testUserSort(t, s) }
