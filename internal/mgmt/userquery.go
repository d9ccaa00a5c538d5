package mgmt

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/store"
)

// searchFields are the user fields `q` may name (store.UserQueryTerm).
var searchFields = map[string]bool{
	"email": true, "name": true, "nickname": true, "user_id": true, "username": true,
	"email_verified": true, "blocked": true, "identities.connection": true,
}

// parseUserQuery parses the subset of Auth0's Lucene user search syntax (spec §4.4 Users) that
// Gatehouse answers: terms `field:value`, `field:"quoted phrase"`, `field:prefix*`, `field:*suffix`
// and bare words, joined by white space or AND. Anything else (OR, NOT, -negation, grouping, ranges,
// _exists_, dotted metadata paths, wildcards inside a value) is refused with a message naming what
// is unsupported, rather than silently answering a different question.
func parseUserQuery(q string) (store.UserQuery, error) {
	var out store.UserQuery
	if len(q) > maxQueryLen {
		return out, fmt.Errorf("the query is longer than %d bytes", maxQueryLen)
	}
	if !utf8.ValidString(q) || strings.ContainsFunc(q, isForbiddenControl) {
		return out, fmt.Errorf("the query must be UTF-8 text without control characters")
	}
	toks, err := tokenizeQuery(q)
	if err != nil {
		return out, err
	}
	for _, t := range toks {
		if !t.quoted {
			switch t.text {
			case "AND", "&&":
				continue
			case "OR", "||":
				return out, fmt.Errorf("OR is not supported; terms are combined with AND")
			case "NOT", "!":
				return out, fmt.Errorf("NOT is not supported")
			}
		}
		if len(out.Terms) == maxQueryTerms {
			return out, fmt.Errorf("the query has more than %d terms", maxQueryTerms)
		}
		term, err := parseTerm(t)
		if err != nil {
			return out, err
		}
		out.Terms = append(out.Terms, term)
	}
	if len(out.Terms) == 0 {
		return out, fmt.Errorf("the query has no terms")
	}
	return out, nil
}

// minSuffixLen is the fewest characters Auth0 accepts after a leading wildcard.
const minSuffixLen = 3

// maxQueryLen bounds q before it is parsed (Auth0 answers an over-long URL with 414).
const maxQueryLen = 4096

// maxQueryTerms bounds q's terms: every term is a condition on each row the search reads (a bare
// one, on five columns), so 4096 bytes of short wildcard terms took seconds over a few thousand
// users, and about 1,400 failed in the engine (500).
const maxQueryTerms = 32

// isForbiddenControl reports a control character other than the white space that separates terms.
func isForbiddenControl(r rune) bool {
	return unicode.IsControl(r) && r != ' ' && r != '\t' && r != '\n' && r != '\r'
}

type queryToken struct {
	text   string // field:value with quotes removed from the value, or a bare word
	quoted bool   // the value was a quoted phrase (no wildcard meaning)
}

// tokenizeQuery splits on white space outside double quotes.
func tokenizeQuery(q string) ([]queryToken, error) {
	var toks []queryToken
	var cur strings.Builder
	inQuote, quoted := false, false
	flush := func() {
		if cur.Len() > 0 || quoted {
			toks = append(toks, queryToken{text: cur.String(), quoted: quoted})
		}
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\\' && inQuote && i+1 < len(q):
			i++
			cur.WriteByte(q[i])
		case ch == '"':
			inQuote = !inQuote
			quoted = true
		case !inQuote && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'):
			flush()
		case !inQuote && strings.IndexByte("()[]{}^~", ch) >= 0:
			return nil, fmt.Errorf("%q is not supported (no grouping, ranges, boosts or fuzzy terms)", string(ch))
		default:
			cur.WriteByte(ch)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quoted phrase")
	}
	flush()
	return toks, nil
}

func parseTerm(t queryToken) (store.UserQueryTerm, error) {
	field, value, hasField := strings.Cut(t.text, ":")
	if !hasField {
		field, value = "", t.text
	}
	if strings.HasPrefix(field, "-") || strings.HasPrefix(field, "+") || (!hasField && strings.HasPrefix(value, "-")) {
		return store.UserQueryTerm{}, fmt.Errorf("%q: negation and required-term prefixes are not supported", t.text)
	}
	if hasField {
		if field == "_exists_" {
			return store.UserQueryTerm{}, fmt.Errorf("_exists_ is not supported")
		}
		if !searchFields[field] {
			return store.UserQueryTerm{}, fmt.Errorf("searching by %q is not supported; use one of email, name, nickname, user_id, username, email_verified, blocked, identities.connection", field)
		}
		if field == "identities.connection" {
			field = "connection" // a database user has one identity, in the connection the user row names
		}
	}
	if value == "" {
		return store.UserQueryTerm{}, fmt.Errorf("%q has no value", t.text)
	}
	if t.quoted {
		// A quoted phrase is literal: a trailing * in it is not a wildcard, and no other wildcard
		// form exists, so refuse it rather than guess.
		if strings.Contains(value, "*") {
			return store.UserQueryTerm{}, fmt.Errorf("%q: a wildcard inside a quoted phrase is not supported", t.text)
		}
		return store.UserQueryTerm{Field: field, Value: value}, nil
	}
	if suffix, ok := strings.CutPrefix(value, "*"); ok && suffix != "" && !strings.ContainsAny(suffix, "*?") {
		// A leading wildcard matches a suffix. Auth0 requires at least three characters after it
		// (name:*usa, not name:*sa): fewer would match most of the tenant.
		if utf8.RuneCountInString(suffix) < minSuffixLen {
			return store.UserQueryTerm{}, fmt.Errorf("%q: a leading wildcard needs at least %d characters after it", t.text, minSuffixLen)
		}
		if field == "email_verified" || field == "blocked" || field == "connection" {
			return store.UserQueryTerm{}, fmt.Errorf("%q: %s takes no leading wildcard", t.text, field)
		}
		return store.UserQueryTerm{Field: field, Value: value}, nil
	}
	if i := strings.IndexAny(value, "*?"); i >= 0 && (i != len(value)-1 || value[i] == '?') {
		return store.UserQueryTerm{}, fmt.Errorf("%q: only a leading * (suffix match) or a trailing * (prefix match) is supported", t.text)
	}
	if value == "*" {
		return store.UserQueryTerm{}, fmt.Errorf("%q: a prefix match needs at least one character", t.text)
	}
	if field == "email_verified" || field == "blocked" {
		if value != "true" && value != "false" {
			return store.UserQueryTerm{}, fmt.Errorf("%s takes true or false", field)
		}
	}
	return store.UserQueryTerm{Field: field, Value: value}, nil
}

// parseUserSort parses GET /users' sort, Auth0's field:1 (ascending) or field:-1 (descending), for
// the fields the store can order by from an index (store.UserSortFields). The errors echo v, so
// it is bounded first: every valid sort is far shorter.
func parseUserSort(v string) (store.UserSort, error) {
	if len(v) > maxSortLen {
		return store.UserSort{}, fmt.Errorf("a sort has at most %d characters", maxSortLen)
	}
	field, dir, ok := strings.Cut(v, ":")
	if !ok || (dir != "1" && dir != "-1") {
		return store.UserSort{}, fmt.Errorf("%q: expected field:1 (ascending) or field:-1 (descending)", v)
	}
	if !slices.Contains(store.UserSortFields, field) {
		return store.UserSort{}, fmt.Errorf("cannot sort by %q; use one of %s", field, strings.Join(store.UserSortFields, ", "))
	}
	return store.UserSort{Field: field, Desc: dir == "-1"}, nil
}

// maxSortLen bounds sort before it is parsed and echoed in an error.
const maxSortLen = 64
