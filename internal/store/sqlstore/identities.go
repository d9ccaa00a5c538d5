package sqlstore

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// User identities: the key (provider, identity id) and the owner are columns; the profile of a
// linked account is a JSON document; the upstream tokens are an opaque sealed value.

func (s *Store) PutIdentity(ctx context.Context, i *domain.UserIdentity) error {
	now := s.now().UTC()
	if i.CreatedAt.IsZero() {
		i.CreatedAt = now
	}
	i.UpdatedAt = now
	profile := i.ProfileData
	if profile == nil {
		profile = map[string]any{}
	}
	doc, err := marshal(profile)
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
	if len(i.ProfileData) == 0 {
		i.ProfileData = nil
	}
	i.CreatedAt, i.UpdatedAt, i.TokensSealed = fromTS(created), fromTS(upd), sealed
	return &i, nil
}
