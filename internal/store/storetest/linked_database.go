package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testLinkedDatabaseAccount: a database account linked to another user keeps its password with
// its identity (never in the profile), is found by its address and username in its connection
// only, and holds them: no user of the connection can be created with them or moved to them,
// but the account itself can be made a user again.
func testLinkedDatabaseAccount(t *testing.T, s store.Store) {
	primary := MustUser(t, s, "primary@example.com")
	reset := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	secID := "5f0c1a2b3c4d5e6f7a8b9c0d"
	ident := &domain.UserIdentity{Provider: domain.StrategyAuth0, IdentityID: secID, OwnerID: primary.UserID,
		Connection: domain.DefaultConnection,
		ProfileData: map[string]any{"email": "linked@example.com", "username": "Linked_One", "email_verified": true,
			"gatehouse:password": "a profile cannot smuggle a password in"},
		Password: &domain.LinkedPassword{Hash: "$argon2id$v=19$linked", LastPasswordReset: &reset}}
	must(t, s.PutIdentity(ctx, ident))

	for _, find := range []func() (*domain.UserIdentity, error){
		func() (*domain.UserIdentity, error) { return s.GetIdentity(ctx, domain.StrategyAuth0, secID) },
		func() (*domain.UserIdentity, error) {
			return s.GetLinkedIdentityByEmail(ctx, domain.DefaultConnection, "LINKED@example.com")
		},
		func() (*domain.UserIdentity, error) {
			return s.GetLinkedIdentityByUsername(ctx, domain.DefaultConnection, "linked_one")
		},
	} {
		got, err := find()
		must(t, err)
		eq(t, "owner", got.OwnerID, primary.UserID)
		eq(t, "password kept", got.Password != nil && got.Password.Hash == "$argon2id$v=19$linked", true)
		eq(t, "last reset kept", got.Password.LastPasswordReset != nil && got.Password.LastPasswordReset.Equal(reset), true)
		eq(t, "no password in the profile", got.ProfileData["gatehouse:password"], nil)
		eq(t, "profile email", got.ProfileData["email"], any("linked@example.com"))
	}
	_, err := s.GetLinkedIdentityByEmail(ctx, "Other-DB", "linked@example.com")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetLinkedIdentityByEmail(ctx, domain.DefaultConnection, "")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetLinkedIdentityByUsername(ctx, domain.DefaultConnection, "nobody")
	wantErr(t, err, store.ErrNotFound)

	// The address and username are taken while linked, case-insensitively.
	u := &domain.User{UserID: domain.NewUserID(), Email: "Linked@Example.com", PasswordHash: "$argon2id$v=19$x"}
	domain.ApplyUserDefaults(u)
	wantErr(t, s.CreateUser(ctx, u), store.ErrConflict)
	u = &domain.User{UserID: domain.NewUserID(), Email: "fresh@example.com", Username: "LINKED_ONE"}
	domain.ApplyUserDefaults(u)
	wantErr(t, s.CreateUser(ctx, u), store.ErrConflict)
	// Another connection, or a provider's user, is not a database account of this one.
	must(t, s.CreateUser(ctx, &domain.User{UserID: "github|77", Connection: "github", Email: "linked@example.com"}))
	other := MustUser(t, s, "other@example.com")
	other.Email = "linked@example.com"
	wantErr(t, s.UpdateUser(ctx, other), store.ErrConflict)
	other.Email = "other@example.com"
	must(t, s.UpdateUser(ctx, other))

	// Unlinking: the account is a user again, with its password, its address then its own.
	back := domain.UserFromProfileData(ident)
	domain.ApplyUserDefaults(back)
	must(t, s.CreateUser(ctx, back))
	must(t, s.DeleteIdentity(ctx, domain.StrategyAuth0, secID))
	got, err := s.GetUserByEmail(ctx, domain.DefaultConnection, "linked@example.com")
	must(t, err)
	eq(t, "user id back", got.UserID, "auth0|"+secID)
	eq(t, "password back", got.PasswordHash, "$argon2id$v=19$linked")
	eq(t, "username back", strings.ToLower(got.Username), "linked_one")

	// Deleting a connection deletes its accounts linked to users of other connections too.
	conn := &domain.Connection{ID: "con_linkedgone0001", Name: "Linked-Gone-DB", Strategy: domain.StrategyAuth0}
	domain.ApplyConnectionDefaults(conn)
	must(t, s.CreateConnection(ctx, conn))
	gone := &domain.UserIdentity{Provider: domain.StrategyAuth0, IdentityID: "6a0c1a2b3c4d5e6f7a8b9c0d", OwnerID: primary.UserID,
		Connection: conn.Name, ProfileData: map[string]any{"email": "gone@example.com"}, Password: &domain.LinkedPassword{Hash: "h"}}
	must(t, s.PutIdentity(ctx, gone))
	must(t, s.DeleteConnection(ctx, conn.ID))
	_, err = s.GetIdentity(ctx, domain.StrategyAuth0, gone.IdentityID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetUser(ctx, primary.UserID)
	must(t, err)
}
