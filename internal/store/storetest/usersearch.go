package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// searchUsers are profiles chosen to trip a search: SQL and LIKE metacharacters, quotes, a
// backslash, letters outside ASCII (case folding included), the last code point before the
// surrogates and the last code point of all (where a prefix range has to find its upper bound), a
// user without username and one without email.
var searchUsers = []struct{ id, email, name, nickname, username string }{
	{"auth0|s01", "alice@example.com", "Alice Liddell", "Ali", "alice_l"},
	{"auth0|s02", "alan@other.org", "Alan Turing", "alan", ""},
	{"auth0|s03", "obrien@example.com", "Conan O'Brien", "Coco", "o'brien"},
	{"auth0|s04", "pct@example.com", "100% _Sure_", "50%", "under_score"},
	{"auth0|s05", "quote@example.com", `Say "Hi"`, `"q"`, `back\slash`},
	{"auth0|s06", "inj@example.com", "a' OR 1=1", "' OR ''='", "x'; DROP TABLE users;--"},
	{"auth0|s07", "zoe@example.com", "Zoë Ünïcode", "ZOË", "zoë"},
	{"auth0|s08", "jurgen@example.com", "JÜRGEN Groß", "İstanbul", "jürgen"},
	{"auth0|s09", "cjk@example.com", "山田 太郎", "太郎", "山田"},
	{"auth0|s10", "edge@example.com", "edge\ud7ff", "edge\U0010FFFF", "edge\U0010FFFFz"},
	{"auth0|s11", "emoji@example.com", "Smile 😀", "😀", "😀smile"},
	{"google-oauth2|s12", "", "No Mail", "nomail", ""},
	{"auth0|s13", "al@example.com", "al", "AL", "al"},
	{"auth0|s14", "star@example.com", "a*b", "*", "st*r"},
}

// searchQueries are terms the store answers, for each of which the model below decides the result.
var searchQueries = [][]store.UserQueryTerm{
	nil,
	{{Field: "email", Value: "alice@example.com"}},
	{{Field: "email", Value: "ALICE@EXAMPLE.COM"}},
	{{Field: "email", Value: "al*"}},
	{{Field: "email", Value: "AL*"}},
	{{Field: "email", Value: "a*"}},
	{{Field: "email", Value: "@*"}},
	{{Field: "email", Value: "example*"}},
	{{Field: "email", Value: "%*"}},
	{{Field: "email", Value: "_*"}},
	{{Field: "email", Value: "a' OR 1=1"}},
	{{Field: "email", Value: "a' OR 1=1*"}},
	{{Field: "name", Value: "alice liddell"}},
	{{Field: "name", Value: "ALICE*"}},
	{{Field: "name", Value: "100%*"}},
	{{Field: "name", Value: "100% _sure_"}},
	{{Field: "name", Value: "100_*"}},
	{{Field: "name", Value: "conan o'brien"}},
	{{Field: "name", Value: "conan o'*"}},
	{{Field: "name", Value: `say "hi"`}},
	{{Field: "name", Value: "a' or 1=1"}},
	{{Field: "name", Value: "a' OR 1=1"}},
	{{Field: "name", Value: "zoë ünïcode"}},
	{{Field: "name", Value: "ZOË*"}},
	{{Field: "name", Value: "zoe*"}},
	{{Field: "name", Value: "jürgen groß"}},
	{{Field: "name", Value: "JÜRGEN*"}},
	{{Field: "name", Value: "山田*"}},
	{{Field: "name", Value: "山*"}},
	{{Field: "name", Value: "edge*"}},
	{{Field: "name", Value: "edge\ud7ff*"}},
	{{Field: "name", Value: "a*b"}},
	{{Field: "name", Value: "a*"}},
	{{Field: "nickname", Value: "ali"}},
	{{Field: "nickname", Value: "zoë"}},
	{{Field: "nickname", Value: "edge\U0010FFFF*"}},
	{{Field: "nickname", Value: "\U0010FFFF*"}},
	{{Field: "nickname", Value: "😀*"}},
	{{Field: "nickname", Value: "' or ''='"}},
	{{Field: "nickname", Value: "**"}},
	{{Field: "nickname", Value: "50%"}},
	{{Field: "user_id", Value: "auth0|s01"}},
	{{Field: "user_id", Value: "AUTH0|S01"}},
	{{Field: "user_id", Value: "auth0|*"}},
	{{Field: "user_id", Value: "auth0|s1*"}},
	{{Field: "user_id", Value: "google-oauth2|*"}},
	{{Field: "username", Value: "o'brien"}},
	{{Field: "username", Value: `back\slash`}},
	{{Field: "username", Value: `back\*`}},
	{{Field: "username", Value: "under_*"}},
	{{Field: "username", Value: "under%*"}},
	{{Field: "username", Value: "x'; drop table users;--"}},
	{{Field: "username", Value: "edge\U0010FFFF*"}},
	{{Field: "username", Value: "s*"}},
	{{Field: "username", Value: "st*"}},
	{{Value: "al"}},
	{{Value: "al*"}},
	{{Value: "ALI*"}},
	{{Value: "auth0|s0*"}},
	{{Value: "太郎"}},
	{{Value: "😀*"}},
	{{Value: "nomail"}},
	{{Value: "' OR ''='"}},
	{{Field: "email", Value: "al*"}, {Field: "name", Value: "al*"}},
	{{Field: "email", Value: "a*"}, {Value: "ali"}},
	{{Field: "connection", Value: domain.DefaultConnection}},
	{{Field: "connection", Value: "Username*"}},
	{{Field: "blocked", Value: "true"}},
	{{Field: "email_verified", Value: "false"}, {Field: "email", Value: "z*"}},
	// Suffix matches (a leading *), on each text field and on any of them.
	{{Field: "email", Value: "*@example.com"}},
	{{Field: "email", Value: "*@EXAMPLE.COM"}},
	{{Field: "email", Value: "*.org"}},
	{{Field: "email", Value: "*%@example.com"}},
	{{Field: "name", Value: "*liddell"}},
	{{Field: "name", Value: "*ünïcode"}},
	{{Field: "name", Value: "*ÜNÏCODE"}},
	{{Field: "name", Value: "*太郎"}},
	{{Field: "name", Value: "*_sure_"}},
	{{Field: "name", Value: "*o'brien"}},
	{{Field: "name", Value: "*\ud7ff"}},
	{{Field: "nickname", Value: "*\U0010FFFF"}},
	{{Field: "nickname", Value: "*😀"}},
	{{Field: "user_id", Value: "*s01"}},
	{{Field: "user_id", Value: "*S01"}},
	{{Field: "user_id", Value: "*|s12"}},
	{{Field: "username", Value: "*brien"}},
	{{Field: "username", Value: "*slash"}},
	{{Field: "username", Value: "*;--"}},
	{{Value: "*ing"}},
	{{Value: "*l"}},
	{{Value: "*@example.com"}, {Field: "email_verified", Value: "true"}},
	{{Value: "*.com"}, {Value: "al*"}},
	{{Field: "email", Value: "al*"}, {Field: "name", Value: "*liddell"}},
}

// testUserSearchModel checks every search against a model of what it means: a term matches a
// field's whole value, or its start when the value ends in *; email, name, nickname and username
// compare lower-cased; user_id and connection as they are. The same answers, in the same order
// (creation, then user_id), are required of both engines, with or without the search indexes
// (UserSearchModel).
func testUserSearchModel(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var users []*domain.User
	for i, su := range searchUsers {
		u := &domain.User{UserID: su.id, Email: su.email, Name: su.name, Nickname: su.nickname, Username: su.username,
			EmailVerified: i%3 == 0, Blocked: i == 4, PasswordHash: "$argon2id$v=19$stub", CreatedAt: t0.Add(time.Duration(i%5) * time.Second)}
		must(t, s.CreateUser(ctx, u))
		users = append(users, u)
	}
	for _, terms := range searchQueries {
		name := fmt.Sprintf("%q", terms)
		want := modelSearch(users, terms)
		for _, skip := range []bool{false, true} {
			list, total, err := s.SearchUsers(ctx, store.UserQuery{Terms: terms, SkipCount: skip}, store.Page{PerPage: 100})
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			var got []string
			for _, u := range list {
				got = append(got, u.UserID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", name, got, want)
			}
			if wantTotal := len(want); skip {
				wantTotal = -1
				if total != wantTotal {
					t.Errorf("%s: total %d, want %d", name, total, wantTotal)
				}
			} else if total != wantTotal {
				t.Errorf("%s: total %d, want %d", name, total, wantTotal)
			}
		}
	}
	// Checkpoint paging (After) walks the same list, whatever the page size, ties in created_at
	// included (five users share each second).
	for _, terms := range [][]store.UserQueryTerm{nil, {{Field: "email", Value: "a*"}}, {{Value: "al*"}}} {
		want := modelSearch(users, terms)
		for _, size := range []int{1, 3, 100} {
			var got []string
			uq := store.UserQuery{Terms: terms, SkipCount: true}
			for range len(users) + 1 {
				list, _, err := s.SearchUsers(ctx, uq, store.Page{PerPage: size})
				must(t, err)
				for _, u := range list {
					got = append(got, u.UserID)
				}
				if len(list) < size {
					break
				}
				last := list[len(list)-1]
				uq.After = &store.UserCursor{CreatedAt: last.CreatedAt, UserID: last.UserID}
			}
			if !slices.Equal(got, want) {
				t.Errorf("checkpoint paging %q by %d: got %q, want %q", terms, size, got, want)
			}
		}
	}
	// What the store cannot compare is invalid input, never a database error.
	for _, v := range []string{"\xff*", "a\x00b", "\xc3"} {
		_, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: []store.UserQueryTerm{{Field: "email", Value: v}}}, store.Page{})
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("value %q: error = %v, want invalid", v, err)
		}
	}
}

// UserSearchModel runs the search model on s, for an engine's own tests: with the search indexes
// dropped, or their use forced. The indexes change how fast, never what, a search answers.
func UserSearchModel(t *testing.T, s store.Store) { testUserSearchModel(t, s) }

// modelSearch answers terms over users by their meaning, in the store's order.
func modelSearch(users []*domain.User, terms []store.UserQueryTerm) []string {
	sorted := slices.Clone(users)
	slices.SortStableFunc(sorted, func(a, b *domain.User) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	var ids []string
	for _, u := range sorted {
		if modelMatches(u, terms) {
			ids = append(ids, u.UserID)
		}
	}
	return ids
}

func modelMatches(u *domain.User, terms []store.UserQueryTerm) bool {
	email := domain.NormalizeEmail(u.Email)
	if email == "" {
		email = "@" + u.UserID
	}
	fields := map[string]struct {
		value  string
		folded bool
		set    bool
	}{
		"email":    {email, true, true},
		"name":     {strings.ToLower(u.Name), true, true},
		"nickname": {strings.ToLower(u.Nickname), true, true},
		"user_id":  {u.UserID, false, true},
		"username": {strings.ToLower(u.Username), true, u.Username != ""},
	}
	one := func(field, value string) bool {
		f := fields[field]
		if !f.set {
			return false
		}
		if f.folded {
			value = strings.ToLower(value)
		}
		if prefix, ok := strings.CutSuffix(value, "*"); ok {
			return strings.HasPrefix(f.value, prefix)
		}
		if suffix, ok := strings.CutPrefix(value, "*"); ok && suffix != "" {
			return strings.HasSuffix(f.value, suffix)
		}
		return f.value == value
	}
	for _, t := range terms {
		var ok bool
		switch t.Field {
		case "":
			ok = one("email", t.Value) || one("name", t.Value) || one("nickname", t.Value) || one("user_id", t.Value) || one("username", t.Value)
		case "connection":
			if prefix, cut := strings.CutSuffix(t.Value, "*"); cut {
				ok = strings.HasPrefix(domain.DefaultConnection, prefix)
			} else {
				ok = t.Value == domain.DefaultConnection
			}
		case "blocked":
			ok = fmt.Sprint(u.Blocked) == t.Value
		case "email_verified":
			ok = fmt.Sprint(u.EmailVerified) == t.Value
		default:
			ok = one(t.Field, t.Value)
		}
		if !ok {
			return false
		}
	}
	return true
}
