package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// SearchUsers ANDs the query's terms. Each term is a whole-value, prefix or suffix match on an
// indexed column (migrations 0018 and 0020), compared byte by byte (Dialect.ByteOrder) so that both
// engines answer alike and a prefix is an index range; a suffix is a prefix of the reversed value.
//
// A term without a field matches any of five columns. An OR of five ranges is answered by neither
// engine from its indexes in the list's order (SQLite reads every matching row to dedupe and sort
// them), so such a search is the UNION of one branch per column, each reading at most a page's
// worth of index entries in the list's order (see userBranches).
func (s *Store) SearchUsers(ctx context.Context, uq store.UserQuery, p store.Page) ([]*domain.User, int, error) {
	ord, err := userOrderOf(uq.Sort, s.d.ByteOrder)
	if err != nil {
		return nil, 0, err
	}
	if uq.After != nil && ord.key != "" {
		return nil, 0, domain.Invalidf("sort", "checkpoint paging lists users in creation order only")
	}
	// Validate first, so that bad input is an invalid-input error whatever the probe would do.
	if _, err := userBranches(&where{}, uq, s.d.ByteOrder, true); err != nil {
		return nil, 0, err
	}
	indexed, fence, total := true, 0, -1
	if s.d.PrefixProbe > 0 && hasPrefix(uq) {
		broad, n, branches, err := s.broadPrefix(ctx, uq)
		if err != nil {
			return nil, 0, err
		}
		// Each branch's matches are distinct users: when the branches found cap times as many as
		// there are branches, one of them found cap, and the count is decided without reading
		// more (a count in the unindexed form would walk the table).
		if !uq.SkipCount && uq.CountCap > 0 && n >= uq.CountCap*branches {
			total = uq.CountCap
		}
		// Most users match: read them in the list's order, keeping those that do, rather than sort
		// every match to find the first page. Few do: read all of them through the indexes (fewer
		// than the probe), then sort, whatever the planner guesses of the range.
		indexed = !broad
		if indexed {
			fence = s.d.PrefixProbe
		}
	}
	var lw where
	branches, _ := userBranches(&lw, uq, s.d.ByteOrder, indexed)
	listSQL := s.q[UserSelect] + " WHERE user_id IN (" + ord.ids(&lw, branches, p, fence) + ") ORDER BY " + ord.by(ord.key)
	listArgs := s.planPerCall(lw.args)
	if !uq.SkipCount && total < 0 {
		var cw where
		branches, _ := userBranches(&cw, uq, s.d.ByteOrder, indexed)
		n, err := count(ctx, s.reader(ctx), countSQL(&cw, branches, uq.CountCap, false), s.planPerCall(cw.args)...)
		if err != nil {
			return nil, 0, s.mapErr("count users", err)
		}
		if uq.CountCap > 0 {
			n = min(n, uq.CountCap)
		}
		total = n
	}
	rows, err := s.reader(ctx).QueryContext(ctx, listSQL, listArgs...)
	if err != nil {
		return nil, 0, s.mapErr("list users", err)
	}
	items, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, 0, s.mapErr("list users", err)
	}
	return items, total, nil
}

// countSQL counts the union of the branches' matches; with a cap, each branch stops at it, so the
// count reads at most cap index entries a branch (a branch that stops there makes the union at
// least cap; otherwise every branch is complete and the count exact). all counts a user once for
// each branch that matches it: no deduplication, which over tens of thousands of entries costs more
// than reading them (for the prefix probe, which only asks "that many or more?").
func countSQL(w *where, branches [][]string, capAt int, all bool) string {
	limit := ""
	if capAt > 0 {
		limit = " LIMIT " + w.arg(capAt)
	}
	if len(branches) == 1 {
		return "SELECT count(*) FROM (SELECT 1 FROM users" + conds(branches[0]) + limit + ") AS c"
	}
	parts := make([]string, len(branches))
	for i, b := range branches {
		parts[i] = "SELECT * FROM (SELECT user_id FROM users" + conds(b) + limit + ") AS b" + strconv.Itoa(i)
	}
	union := " UNION "
	if all {
		union = " UNION ALL "
	}
	return "SELECT count(*) FROM (" + strings.Join(parts, union) + ") AS c"
}

func conds(c []string) string {
	if len(c) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c, " AND ")
}

// userBranches is the condition of uq as branches, each a list of ANDed conditions; uq matches
// what any branch matches. The first term without a field is split into one branch per column
// when indexed; otherwise there is one branch. indexed false writes prefix and suffix matches so
// that no index serves them (the search then reads in the list's order).
func userBranches(w *where, uq store.UserQuery, collate string, indexed bool) ([][]string, error) {
	var base, split []string
	if uq.After != nil {
		base = append(base, "(created_at, user_id) > ("+w.arg(ts(uq.After.CreatedAt))+", "+w.arg(uq.After.UserID)+")")
	}
	for _, t := range uq.Terms {
		if t.Field == "" && indexed && split == nil {
			alts, err := textAlternatives(w, t, collate, indexed)
			if err != nil {
				return nil, err
			}
			split = alts
			continue
		}
		cond, err := userTerm(w, t, collate, indexed)
		if err != nil {
			return nil, err
		}
		base = append(base, cond)
	}
	if split == nil {
		return [][]string{base}, nil
	}
	out := make([][]string, len(split))
	for i, alt := range split {
		out[i] = append(append([]string{}, base...), alt)
	}
	return out, nil
}

func hasPrefix(uq store.UserQuery) bool {
	for _, t := range uq.Terms {
		if t.Field != "email_verified" && t.Field != "blocked" && (strings.HasSuffix(t.Value, "*") || strings.HasPrefix(t.Value, "*")) {
			return true
		}
	}
	return false
}

// broadPrefix counts uq's matches through the indexes, up to Dialect.PrefixProbe a branch, and
// reports whether there are that many (a user that several branches match counts for each).
// It also answers the count and the number of branches it read.
func (s *Store) broadPrefix(ctx context.Context, uq store.UserQuery) (broad bool, n, branches int, err error) {
	var w where
	b, err := userBranches(&w, uq, s.d.ByteOrder, true)
	if err != nil {
		return false, 0, 0, err
	}
	n, err = count(ctx, s.reader(ctx), countSQL(&w, b, s.d.PrefixProbe, true), s.planPerCall(w.args)...)
	if err != nil {
		return false, 0, 0, s.mapErr("count users", err)
	}
	return n >= s.d.PrefixProbe, n, len(b), nil
}

// planPerCall puts the Dialect's PlanPerCall option before a search's arguments.
func (s *Store) planPerCall(args []any) []any {
	if s.d.PlanPerCall == nil {
		return args
	}
	return append([]any{s.d.PlanPerCall}, args...)
}

// userTextColumns are the columns a term without a field searches, with whether they are stored
// lower-cased and the column holding their value reversed (for suffix matches, migration 0020).
var userTextColumns = []struct {
	field, column, reversed string
	folded                  bool
}{
	{"email", "email", "email_rev", true},
	{"name", "name_lower", "name_rev", true},
	{"nickname", "nickname_lower", "nickname_rev", true},
	{"user_id", "user_id", "user_id_rev", false},
	{"username", "username", "username_rev", true},
}

// textAlternatives are the matches of a term without a field, one per text column.
func textAlternatives(w *where, t store.UserQueryTerm, collate string, indexed bool) ([]string, error) {
	if err := validValue(t.Value); err != nil {
		return nil, err
	}
	var alts []string
	for _, c := range userTextColumns {
		alts = append(alts, match(w, c.column, c.reversed, collate, t.Value, c.folded, indexed))
	}
	return alts, nil
}

func validValue(v string) error {
	if !validText(v) {
		return domain.Invalidf("q", "a search value must be UTF-8 text without NUL characters")
	}
	return nil
}

func userTerm(w *where, t store.UserQueryTerm, collate string, indexed bool) (string, error) {
	if err := validValue(t.Value); err != nil {
		return "", err
	}
	switch t.Field {
	case "email_verified", "blocked":
		// Written out rather than bound, so that blocked matches the partial index of blocked users
		// (migration 0018): few are, and a search for them must not walk the whole table.
		switch strings.ToLower(t.Value) {
		case "true":
			return t.Field, nil
		case "false":
			return "NOT " + t.Field, nil
		default:
			return "", domain.Invalidf("q", "%s must be true or false", t.Field)
		}
	case "":
		alts, err := textAlternatives(w, t, collate, indexed)
		if err != nil {
			return "", err
		}
		return "(" + strings.Join(alts, " OR ") + ")", nil
	}
	for _, c := range userTextColumns {
		if c.field == t.Field {
			return match(w, c.column, c.reversed, collate, t.Value, c.folded, indexed), nil
		}
	}
	if t.Field == "connection" {
		if isSuffix(t.Value) {
			return "", domain.Invalidf("q", "identities.connection takes a whole name or a prefix")
		}
		return match(w, "connection", "", collate, t.Value, false, indexed), nil
	}
	return "", domain.Invalidf("q", "cannot search on the field %q", t.Field)
}

// isSuffix reports a suffix match: a value that starts with * and does not end with one (a value
// ending in * is a prefix match, whatever it starts with).
func isSuffix(value string) bool {
	return len(value) > 1 && value[0] == '*' && !strings.HasSuffix(value, "*")
}
