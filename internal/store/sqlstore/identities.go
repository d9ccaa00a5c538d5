package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// User identities: the key (provider, identity id) and the owner are columns; the profile of a
// linked account is a JSON document; the upstream tokens are an opaque sealed value.

// passwordKey holds a linked database account's password in the identity's document, beside the
// profile: no profile attribute can take its place (identityDoc drops one of that name), and it
// is taken out of the profile on reading.
const passwordKey = "gatehouse:password"

// identityDoc is the document of i: its profile and, for a linked database account, its password.
func identityDoc(i *domain.UserIdentity) (string, error) {
	doc := make(map[string]any, len(i.ProfileData)+1)
	for k, v := range i.ProfileData {
		doc[k] = v
	}
	delete(doc, passwordKey)
	if i.Password != nil {
		doc[passwordKey] = i.Password
	}
	return marshal(doc)
}

func (s *Store) PutIdentity(ctx context.Context, i *domain.UserIdentity) error {
	now := s.now().UTC()
	if i.CreatedAt.IsZero() {
		i.CreatedAt = now
	}
	i.UpdatedAt = now
	doc, err := identityDoc(i)
	if err != nil {
		return err
	}
	var sealed any
	if len(i.TokensSealed) > 0 {
		sealed = i.TokensSealed
	}
	// The only reference is the owner: a foreign key failure is ErrNotFound (mapErr).
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "put identity", IdentityPut, i.Provider, i.IdentityID, i.OwnerID, i.Connection,
			ts(i.CreatedAt), ts(i.UpdatedAt), sealed, doc)
	})
}

func (s *Store) GetIdentity(ctx context.Context, provider, identityID string) (*domain.UserIdentity, error) {
	return getOne(ctx, s, s.reader(ctx), scanIdentity, "identity", provider+"|"+identityID, IdentityGet, provider, identityID)
}

func (s *Store) GetLinkedIdentityByEmail(ctx context.Context, connection, email string) (*domain.UserIdentity, error) {
	email = domain.NormalizeEmail(email)
	if email == "" {
		return nil, notFound("linked account with email in connection", connection)
	}
	return getOne(ctx, s, s.reader(ctx), scanIdentity, "linked account with email in connection", connection,
		IdentityGetLinkedByEmail, connection, email)
}

func (s *Store) GetLinkedIdentityByUsername(ctx context.Context, connection, username string) (*domain.UserIdentity, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" {
		return nil, notFound("linked account with username in connection", connection)
	}
	return getOne(ctx, s, s.reader(ctx), scanIdentity, "linked account with username in connection", connection,
		IdentityGetLinkedByUsername, connection, username)
}

// linkedLoginTaken refuses a database user whose address or username a linked database account
// of the same connection holds: its user row is gone, so the unique keys of users cannot see it,
// and a second account with its address would make its sign-in ambiguous and its unlinking fail.
func (s *Store) linkedLoginTaken(ctx context.Context, q querier, u *domain.User) error {
	provider, id, ok := domain.SplitUserID(u.UserID)
	if !ok || provider != domain.StrategyAuth0 {
		return nil
	}
	var n int
	err := q.QueryRowContext(ctx, s.q[IdentityLinkedLoginTaken], u.Connection, domain.NormalizeEmail(u.Email),
		strings.ToLower(u.Username), id).Scan(&n)
	if err != nil {
		return s.mapErr("check linked accounts", err)
	}
	if n > 0 {
		return &domain.Error{Code: domain.CodeConflict, Field: "email", Message: "The user already exists.", Err: store.ErrConflict}
	}
	return nil
}

func (s *Store) ListUserIdentities(ctx context.Context, userID string) ([]*domain.UserIdentity, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[IdentityListByUser], userID)
	if err != nil {
		return nil, s.mapErr("list identities", err)
	}
	list, err := scanAll(rows, scanIdentity)
	return list, s.mapErr("list identities", err)
}

func (s *Store) DeleteIdentity(ctx context.Context, provider, identityID string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete identity", "identity", provider+"|"+identityID, IdentityDelete, provider, identityID)
	})
}

// scanIdentity reads identityCols.
func scanIdentity(r scanner) (*domain.UserIdentity, error) {
	var (
		i            domain.UserIdentity
		created, upd int64
		doc, sealed  []byte
	)
	if err := r.Scan(&i.Provider, &i.IdentityID, &i.OwnerID, &i.Connection, &created, &upd, &sealed, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &i.ProfileData); err != nil {
		return nil, err
	}
	if raw, ok := i.ProfileData[passwordKey]; ok {
		delete(i.ProfileData, passwordKey)
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, err
		}
		i.Password = &domain.LinkedPassword{}
		if err := json.Unmarshal(b, i.Password); err != nil {
			return nil, err
		}
	}
	if len(i.ProfileData) == 0 {
		i.ProfileData = nil
	}
	i.CreatedAt, i.UpdatedAt, i.TokensSealed = fromTS(created), fromTS(upd), sealed
	return &i, nil
}
