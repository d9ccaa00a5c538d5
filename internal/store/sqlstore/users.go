package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Users: the fields searches and uniqueness need are columns, lower-cased where matching is
// case-insensitive (email, name, nickname, username); the profile is a JSON document; the
// password hash and login bookkeeping, which the JSON form never carries, are columns too.

func userArgs(u *domain.User) (email, username, name, nickname string) {
	return emailKey(u), strings.ToLower(u.Username), strings.ToLower(u.Name), strings.ToLower(u.Nickname)
}

// emailKey is the email column: the normalized address, or, for a user without one (a provider
// that shares no address), "@" and the user id. No address can equal that, so the unique
// (connection, email) key admits any number of such users, one per identity, and no lookup by
// address finds them.
func emailKey(u *domain.User) string {
	if e := domain.NormalizeEmail(u.Email); e != "" {
		return e
	}
	return "@" + u.UserID
}

func (s *Store) CreateUser(ctx context.Context, u *domain.User) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now().UTC()
	}
	u.UpdatedAt = u.CreatedAt
	if u.Connection == "" {
		u.Connection = domain.DefaultConnection
	}
	doc, err := marshal(u)
	if err != nil {
		return err
	}
	email, username, name, nickname := userArgs(u)
	return s.write(ctx, func(q querier) error {
		if err := s.linkedLoginTaken(ctx, q, u); err != nil {
			return err
		}
		return s.exec(ctx, q, "create user", UserInsert, u.UserID, u.Connection, email, nullString(username), name, nickname,
			u.EmailVerified, u.Blocked, u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt), tsPtr(u.LastLogin), u.LastIP,
			u.LoginsCount, tsPtr(u.LastPasswordReset), doc)
	})
}

func (s *Store) GetUser(ctx context.Context, userID string) (*domain.User, error) {
	return s.getUser(ctx, s.reader(ctx), userID)
}

func (s *Store) getUser(ctx context.Context, q querier, userID string) (*domain.User, error) {
	return getOne(ctx, s, q, scanUser, "user", userID, UserGet, userID)
}

func (s *Store) GetUserByEmail(ctx context.Context, connection, email string) (*domain.User, error) {
	return getOne(ctx, s, s.reader(ctx), scanUser, "user with email in connection", connection, UserGetByEmail,
		connection, domain.NormalizeEmail(email))
}

func (s *Store) GetUserByUsername(ctx context.Context, connection, username string) (*domain.User, error) {
	return getOne(ctx, s, s.reader(ctx), scanUser, "user with username in connection", connection, UserGetByUsername,
		connection, strings.ToLower(strings.TrimSpace(username)))
}

func (s *Store) ListUsersByEmail(ctx context.Context, email string) ([]*domain.User, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[UserListByEmail], domain.NormalizeEmail(email))
	if err != nil {
		return nil, s.mapErr("list users by email", err)
	}
	list, err := scanAll(rows, scanUser)
	return list, s.mapErr("list users by email", err)
}

// UpdateUser writes the profile, credentials and flags. Login bookkeeping (logins_count,
// last_login, last_ip) belongs to RecordLogin, so a concurrent login is never overwritten.
func (s *Store) UpdateUser(ctx context.Context, u *domain.User) error {
	u.UpdatedAt = s.now().UTC()
	if u.Connection == "" {
		u.Connection = domain.DefaultConnection
	}
	doc, err := marshal(u)
	if err != nil {
		return err
	}
	email, username, name, nickname := userArgs(u)
	return s.write(ctx, func(q querier) error {
		if err := s.linkedLoginTaken(ctx, q, u); err != nil {
			return err
		}
		return s.execFound(ctx, q, "update user", "user", u.UserID, UserUpdate, u.UserID, u.Connection, email,
			nullString(username), name, nickname,
			u.EmailVerified, u.Blocked, u.PasswordHash, ts(u.UpdatedAt), tsPtr(u.LastPasswordReset), doc)
	})
}

// DeleteUser deletes the user; sessions, refresh tokens, role assignments and direct permissions
// go by ON DELETE CASCADE.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete user", "user", userID, UserDelete, userID)
	})
}

func (s *Store) RecordLogin(ctx context.Context, userID, ip string, at time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "record login", "user", userID, UserRecordLogin, userID, ts(at), ip)
	})
}

// SearchUsers ANDs the query's terms. Each term is a whole-value or prefix match on an indexed
// column (migration 0018), compared byte by byte (Dialect.ByteOrder) so that both engines answer
// alike and a prefix is an index range.
func (s *Store) SearchUsers(ctx context.Context, uq store.UserQuery, p store.Page) ([]*domain.User, int, error) {
	w, err := userWhere(uq, s.d.ByteOrder, true)
	if err != nil {
		return nil, 0, err
	}
	if s.d.PrefixProbe > 0 && hasPrefix(uq) {
		broad, err := s.broadPrefix(ctx, uq)
		if err != nil {
			return nil, 0, err
		}
		if broad {
			// Most users match: read them in creation order, keeping those that do, rather than
			// sort every match to find the first page.
			w, _ = userWhere(uq, s.d.ByteOrder, false)
		}
	}
	cond := w.String()
	countArgs := s.planPerCall(w.args)
	// The page's ids first, from an index that carries the list's order, then only their rows: a
	// search matching thousands sorts index entries, not profiles.
	listSQL := s.q[UserSelect] + " WHERE user_id IN (SELECT user_id FROM users" + cond +
		" ORDER BY created_at, user_id" + w.page(p) + ") ORDER BY created_at, user_id"
	listArgs := s.planPerCall(w.args)
	if !uq.SkipCount {
		return listPage(ctx, s, s.reader(ctx), "users", scanUser, s.q[UserCount]+cond, countArgs, listSQL, listArgs)
	}
	rows, err := s.reader(ctx).QueryContext(ctx, listSQL, listArgs...)
	if err != nil {
		return nil, 0, s.mapErr("list users", err)
	}
	items, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, 0, s.mapErr("list users", err)
	}
	return items, -1, nil
}

// userWhere is the condition of uq; indexed false writes prefix matches so that no index serves
// them (the search then reads in creation order).
func userWhere(uq store.UserQuery, collate string, indexed bool) (where, error) {
	var w where
	if uq.After != nil {
		w.add("(created_at, user_id) > (" + w.arg(ts(uq.After.CreatedAt)) + ", " + w.arg(uq.After.UserID) + ")")
	}
	for _, t := range uq.Terms {
		cond, err := userTerm(&w, t, collate, indexed)
		if err != nil {
			return w, err
		}
		w.add(cond)
	}
	return w, nil
}

func hasPrefix(uq store.UserQuery) bool {
	for _, t := range uq.Terms {
		if t.Field != "email_verified" && t.Field != "blocked" && strings.HasSuffix(t.Value, "*") {
			return true
		}
	}
	return false
}

// broadPrefix counts uq's matches through the indexes, up to Dialect.PrefixProbe, and reports
// whether there are that many.
func (s *Store) broadPrefix(ctx context.Context, uq store.UserQuery) (bool, error) {
	w, err := userWhere(uq, s.d.ByteOrder, true)
	if err != nil {
		return false, err
	}
	sql := "SELECT count(*) FROM (SELECT 1 FROM users" + w.String() + " LIMIT " + w.arg(s.d.PrefixProbe) + ") AS probe"
	n, err := count(ctx, s.reader(ctx), sql, s.planPerCall(w.args)...)
	if err != nil {
		return false, s.mapErr("count users", err)
	}
	return n >= s.d.PrefixProbe, nil
}

// planPerCall puts the Dialect's PlanPerCall option before a search's arguments.
func (s *Store) planPerCall(args []any) []any {
	if s.d.PlanPerCall == nil {
		return args
	}
	return append([]any{s.d.PlanPerCall}, args...)
}

// userTextColumns are the columns a term without a field searches, with whether they are stored
// lower-cased.
var userTextColumns = []struct {
	field, column string
	folded        bool
}{
	{"email", "email", true},
	{"name", "name_lower", true},
	{"nickname", "nickname_lower", true},
	{"user_id", "user_id", false},
	{"username", "username", true},
}

func userTerm(w *where, t store.UserQueryTerm, collate string, indexed bool) (string, error) {
	if !utf8.ValidString(t.Value) || strings.IndexByte(t.Value, 0) >= 0 {
		return "", domain.Invalidf("q", "a search value must be UTF-8 text without NUL characters")
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
		var ors []string
		for _, c := range userTextColumns {
			ors = append(ors, match(w, c.column, collate, t.Value, c.folded, indexed))
		}
		return "(" + strings.Join(ors, " OR ") + ")", nil
	}
	for _, c := range userTextColumns {
		if c.field == t.Field {
			return match(w, c.column, collate, t.Value, c.folded, indexed), nil
		}
	}
	if t.Field == "connection" {
		return match(w, "connection", collate, t.Value, false, indexed), nil
	}
	return "", domain.Invalidf("q", "cannot search on the field %q", t.Field)
}

// match compares column with value: whole value, or, for a value ending in *, a prefix. A prefix is
// the byte range [prefix, upper) with upper the least string above every string that starts with
// the prefix, so an index on the column (in the byte-order collation) answers it; no LIKE pattern,
// hence nothing to escape. When not indexed, a prefix compares an expression of the column, which
// no index serves.
func match(w *where, column, collate, value string, folded, indexed bool) string {
	if folded {
		value = strings.ToLower(value)
	}
	col := column + collate
	prefix, ok := strings.CutSuffix(value, "*")
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

// scanUser reads user_id, connection, password_hash, created_at, updated_at, last_login, last_ip,
// logins_count, last_password_reset, doc.
func scanUser(r scanner) (*domain.User, error) {
	var (
		u                 domain.User
		created, upd      int64
		lastLogin, lastPR sql.NullInt64
		doc               []byte
		id, conn, hash    string
		lastIP            string
		logins            int
	)
	if err := r.Scan(&id, &conn, &hash, &created, &upd, &lastLogin, &lastIP, &logins, &lastPR, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &u); err != nil {
		return nil, err
	}
	u.UserID, u.Connection, u.PasswordHash = id, conn, hash
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(upd)
	u.LastLogin, u.LastIP, u.LoginsCount, u.LastPasswordReset = fromNullTS(lastLogin), lastIP, logins, fromNullTS(lastPR)
	return &u, nil
}
