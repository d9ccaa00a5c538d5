package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Users: the fields searches and uniqueness need are columns, lower-cased where matching is
// case-insensitive (email, name, nickname, username); the profile is a JSON document; the
// password hash and login bookkeeping, which the JSON form never carries, are columns too.

func userArgs(u *domain.User) (email, username, name, nickname string) {
	return emailKey(u), strings.ToLower(u.Username), strings.ToLower(u.Name), strings.ToLower(u.Nickname)
}

// reversedArgs are the reversed columns (migration 0020) that a suffix search reads, written with
// the columns they reverse by every statement that writes those: email, username (NULL without
// one), name and nickname.
func reversedArgs(email, username, name, nickname string) []any {
	return []any{reverseRunes(email), nullString(reverseRunes(username)), reverseRunes(name), reverseRunes(nickname)}
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
		args := append([]any{u.UserID, u.Connection, email, nullString(username), name, nickname,
			u.EmailVerified, u.Blocked, u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt), tsPtr(u.LastLogin), u.LastIP,
			u.LoginsCount, tsPtr(u.LastPasswordReset), doc}, reversedArgs(email, username, name, nickname)...)
		return s.exec(ctx, q, "create user", UserInsert, append(args, reverseRunes(u.UserID))...)
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
		args := append([]any{u.UserID, u.Connection, email, nullString(username), name, nickname,
			u.EmailVerified, u.Blocked, u.PasswordHash, ts(u.UpdatedAt), tsPtr(u.LastPasswordReset), doc},
			reversedArgs(email, username, name, nickname)...)
		return s.execFound(ctx, q, "update user", "user", u.UserID, UserUpdate, args...)
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
