package store

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// DatabaseLogin is whom an address (or username) and password of a database connection sign in
// as. A database account linked to another user (Auth0's secondary account) has no user row of
// its own any more: its password signs in as the primary user, whose user id is the token's sub.
type DatabaseLogin struct {
	// User signs in: the account itself, or the primary user its account is linked to.
	User *domain.User
	// PasswordHash is the hash the password is checked against: the account's own, also when it
	// is linked; "" when the account has no password.
	PasswordHash string
	// Linked is the linked identity the password belongs to; nil when it is User's own.
	Linked *domain.UserIdentity
}

// FindDatabaseLogin finds the account identifier names in conn: by username when the connection
// requires usernames and identifier is not an address (Auth0 accepts either there), by address
// otherwise; first among users, then among the linked accounts. ErrNotFound when neither holds it.
func FindDatabaseLogin(ctx context.Context, st Store, conn *domain.Connection, identifier string) (*DatabaseLogin, error) {
	byUsername := conn.Options.RequiresUsername && !strings.Contains(identifier, "@")
	return findDatabaseLogin(ctx, st, conn.Name, identifier, byUsername)
}

// FindDatabaseLoginByEmail is FindDatabaseLogin by address only (a password reset's request).
func FindDatabaseLoginByEmail(ctx context.Context, st Store, connection, email string) (*DatabaseLogin, error) {
	return findDatabaseLogin(ctx, st, connection, email, false)
}

func findDatabaseLogin(ctx context.Context, st Store, connection, identifier string, byUsername bool) (*DatabaseLogin, error) {
	var (
		u   *domain.User
		err error
	)
	if byUsername {
		u, err = st.GetUserByUsername(ctx, connection, identifier)
	} else {
		u, err = st.GetUserByEmail(ctx, connection, identifier)
	}
	if err == nil {
		return &DatabaseLogin{User: u, PasswordHash: u.PasswordHash}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var ident *domain.UserIdentity
	if byUsername {
		ident, err = st.GetLinkedIdentityByUsername(ctx, connection, identifier)
	} else {
		ident, err = st.GetLinkedIdentityByEmail(ctx, connection, identifier)
	}
	if err != nil {
		return nil, err
	}
	owner, err := st.GetUser(ctx, ident.OwnerID)
	if err != nil {
		return nil, err
	}
	// The owner is a user row: linking refuses a primary that is itself linked to another.
	l := &DatabaseLogin{User: owner, Linked: ident}
	if ident.Password != nil {
		l.PasswordHash = ident.Password.Hash
	}
	return l, nil
}

// SavePasswordHash keeps a new hash of the same password (a rehash at a higher cost) where the
// password lives: on the user, or on the linked account, never on the primary user in its place.
func (l *DatabaseLogin) SavePasswordHash(ctx context.Context, st Store, hash string) error {
	l.PasswordHash = hash
	if l.Linked == nil {
		l.User.PasswordHash = hash
		return st.UpdateUser(ctx, l.User)
	}
	if l.Linked.Password == nil {
		l.Linked.Password = &domain.LinkedPassword{}
	}
	l.Linked.Password.Hash = hash
	return st.PutIdentity(ctx, l.Linked)
}

// LoginIdentifier is an address or username (lower-cased, as brute-force protection counts it)
// that signs in as a user with a password, and the connection it belongs to.
type LoginIdentifier struct {
	Identifier string
	Connection string
}

// LoginIdentifiers are what a password signs u in with: u's own address and username, and those
// of the database accounts linked to u.
func LoginIdentifiers(ctx context.Context, st Store, u *domain.User) ([]LoginIdentifier, error) {
	var out []LoginIdentifier
	add := func(id, conn string) {
		if id = domain.NormalizeEmail(id); id != "" {
			out = append(out, LoginIdentifier{Identifier: id, Connection: conn})
		}
	}
	add(u.Email, u.Connection)
	add(u.Username, u.Connection)
	linked, err := st.ListUserIdentities(ctx, u.UserID)
	if err != nil {
		return nil, err
	}
	for _, l := range linked {
		if !l.Linked() || l.Provider != domain.StrategyAuth0 {
			continue
		}
		for _, k := range []string{"email", "username"} {
			v, _ := l.ProfileData[k].(string)
			add(v, l.Connection)
		}
	}
	return out, nil
}
