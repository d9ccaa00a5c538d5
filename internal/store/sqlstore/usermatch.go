package sqlstore

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func validText(v string) bool { return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 }

// reverseRunes is s with its code points in reverse order: the reversed columns (migration 0020)
// hold it, so that a suffix of a value is a prefix of the reversed one. SQLite's substr and
// PostgreSQL's reverse() count code points too, so the migration's backfill writes the same.
func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// match compares column with value: whole value; for a value ending in *, a prefix; for one
// starting with * (isSuffix), a suffix, which is the reversed prefix on reversed. A prefix is the
// byte range [prefix, upper) with upper the least string above every string that starts with the
// prefix, so an index on the column (in the byte-order collation) answers it; no LIKE pattern,
// hence nothing to escape. When not indexed, a range compares an expression of the column, which
// no index serves.
func match(w *where, column, reversed, collate, value string, folded, indexed bool) string {
	if folded {
		value = strings.ToLower(value)
	}
	prefix, ok := strings.CutSuffix(value, "*")
	if !ok && isSuffix(value) && reversed != "" {
		column, prefix, ok = reversed, reverseRunes(value[1:]), true
	}
	col := column + collate
	if !ok {
		return col + " = " + w.arg(value)
	}
	if !indexed {
		col = "(" + column + " || '')" + collate
	}
	if prefix == "" {
		return column + " IS NOT NULL"
	}
	upper, bounded := prefixUpper(prefix)
	if !bounded {
		return col + " >= " + w.arg(prefix)
	}
	return "(" + col + " >= " + w.arg(prefix) + " AND " + col + " < " + w.arg(upper) + ")"
}

// prefixUpper is the least valid UTF-8 string greater than every string starting with prefix: the
// prefix with its last rune replaced by the next code point (UTF-8's byte order is code point
// order), dropping trailing runes that have no successor. False when every rune is the last code
// point: then nothing bounds the range.
func prefixUpper(prefix string) (string, bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r == utf8.MaxRune {
			continue
		}
		next := r + 1
		if next >= 0xD800 && next <= 0xDFFF { // surrogates are not characters; skip to U+E000
			next = 0xE000
		}
		return prefix + string(next), true
	}
	return "", false
}

// userOrder is the order of a user list: by key (a column; "" for creation order), then created_at
// and user_id, all in one direction, so that one index read forwards or backwards serves it.
type userOrder struct {
	key     string // the column sorted by; "" for creation order
	collate string // its collation clause (text columns: byte order)
	desc    bool
	nulls   bool // the column may be NULL: NULLs sort first ascending, last descending, on both engines
}

// userSortColumns maps a sort field to its column and whether it is text (compared byte by byte)
// or may be NULL. Each column leads an index that continues (created_at, user_id) (migrations 0018
// and 0020).
var userSortColumns = map[string]struct {
	column         string
	text, nullable bool
}{
	"updated_at":   {"updated_at", false, false},
	"last_login":   {"last_login", false, true},
	"logins_count": {"logins_count", false, false},
	"email":        {"email", true, false},
	"name":         {"name_lower", true, false},
	"nickname":     {"nickname_lower", true, false},
	"username":     {"username", true, true},
	"user_id":      {"user_id", true, false},
}

func userOrderOf(so store.UserSort, byteOrder string) (userOrder, error) {
	o := userOrder{desc: so.Desc}
	if so.Field == "" || so.Field == "created_at" {
		return o, nil
	}
	c, ok := userSortColumns[so.Field]
	if !ok {
		return o, domain.Invalidf("sort", "cannot sort users by %q", so.Field)
	}
	o.key, o.nulls = c.column, c.nullable
	if c.text {
		o.collate = byteOrder
	}
	return o, nil
}

// by is the ORDER BY list, with key standing for the sort column (its alias in a union).
func (o userOrder) by(key string) string {
	dir := " ASC"
	if o.desc {
		dir = " DESC"
	}
	tail := "created_at" + dir + ", user_id" + dir
	if o.key == "" {
		return tail
	}
	nulls := ""
	if o.nulls {
		// SQLite's own order; PostgreSQL's is the opposite unless told (its index says the same).
		nulls = map[bool]string{false: " NULLS FIRST", true: " NULLS LAST"}[o.desc]
	}
	return key + o.collate + dir + nulls + ", " + tail
}

// ids selects the page's user ids. One branch is one indexed read; several are a UNION of reads
// that each stop after the page's last position (offset + limit), then sorted together: the
// page of the union is within the union of the branches' pages.
//
// fence, when positive, is a bound on each branch's matches (the prefix probe counted fewer): each
// branch then reads its matches in a subquery of its own, at most fence of them, and only then
// sorts them. The LIMIT keeps either planner from merging the subquery into the ordered read, so
// the matches come from the search indexes even when the planner guesses a range holds many
// (PostgreSQL's histogram cannot tell "moc.elpmaxe@0000" from "moc.elpmaxe@", which every reversed
// address shares) and would otherwise walk the whole list in order looking for them.
func (o userOrder) ids(w *where, branches [][]string, p store.Page, fence int) string {
	cols, key := "created_at, user_id", o.key
	if o.key != "" {
		cols, key = o.key+" AS sk, "+cols, "sk"
	}
	// read is one branch's matches in the list's order, then limit: straight from an index in that
	// order, or, fenced, all of them first.
	read := func(b []string, out, limit string) string {
		if fence > 0 {
			return "SELECT " + out + " FROM (SELECT " + cols + " FROM users" + conds(b) + " LIMIT " + w.arg(fence) + ") AS m ORDER BY " +
				o.by(key) + limit
		}
		return "SELECT " + out + " FROM users" + conds(b) + " ORDER BY " + o.by(o.key) + limit
	}
	if len(branches) == 1 {
		return read(branches[0], "user_id", w.page(p))
	}
	upto := " LIMIT " + w.arg(p.Offset()+p.Limit())
	parts := make([]string, len(branches))
	for i, b := range branches {
		out := cols
		if fence > 0 {
			out = "*"
		}
		parts[i] = "SELECT * FROM (" + read(b, out, upto) + ") AS b" + strconv.Itoa(i)
	}
	return "SELECT user_id FROM (" + strings.Join(parts, " UNION ") + ") AS u ORDER BY " + o.by(key) + w.page(p)
}
