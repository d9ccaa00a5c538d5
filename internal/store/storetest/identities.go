package storetest

import (
	"bytes"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testIdentities: an identity is put, replaced (a new owner, profile and tokens), listed by its
// owner oldest first, deleted, and goes with its owner; an owner that is not a user is refused.
func testIdentities(t *testing.T, s store.Store) {
	primary, other := MustUser(t, s, "primary@example.com"), MustUser(t, s, "other@example.com")
	gh := &domain.UserIdentity{Provider: "github", IdentityID: "42", OwnerID: primary.UserID, Connection: "github",
		ProfileData: map[string]any{"email": "octo@example.com", "email_verified": true}, TokensSealed: []byte{1, 2, 3}}
	must(t, s.PutIdentity(ctx, gh))
	oidc := &domain.UserIdentity{Provider: "oidc", IdentityID: "acme|00u1", OwnerID: primary.UserID, Connection: "acme"}
	must(t, s.PutIdentity(ctx, oidc))

	got, err := s.GetIdentity(ctx, "github", "42")
	must(t, err)
	eq(t, "owner", got.OwnerID, primary.UserID)
	eq(t, "connection", got.Connection, "github")
	eq(t, "profile email", got.ProfileData["email"], any("octo@example.com"))
	eq(t, "profile email_verified", got.ProfileData["email_verified"], any(true))
	eq(t, "tokens", bytes.Equal(got.TokensSealed, []byte{1, 2, 3}), true)
	eq(t, "linked", got.Linked(), true)
	o, err := s.GetIdentity(ctx, "oidc", "acme|00u1")
	must(t, err)
	eq(t, "no tokens", len(o.TokensSealed), 0)
	eq(t, "no profile", o.ProfileData == nil, true)

	list, err := s.ListUserIdentities(ctx, primary.UserID)
	must(t, err)
	eq(t, "identities", len(list), 2)
	eq(t, "oldest first", list[0].FullID(), "github|42")

	// Replacing moves the identity to another owner with new tokens; created_at stays.
	gh.OwnerID, gh.TokensSealed, gh.ProfileData = other.UserID, []byte{9}, map[string]any{"name": "Octo"}
	must(t, s.PutIdentity(ctx, gh))
	got, err = s.GetIdentity(ctx, "github", "42")
	must(t, err)
	eq(t, "new owner", got.OwnerID, other.UserID)
	eq(t, "new tokens", bytes.Equal(got.TokensSealed, []byte{9}), true)
	eq(t, "new profile", got.ProfileData["name"], any("Octo"))
	eq(t, "profile replaced", got.ProfileData["email"], nil)
	list, err = s.ListUserIdentities(ctx, primary.UserID)
	must(t, err)
	eq(t, "identities left", len(list), 1)

	wantErr(t, s.PutIdentity(ctx, &domain.UserIdentity{Provider: "github", IdentityID: "7", OwnerID: "auth0|nobody", Connection: "github"}), store.ErrNotFound)
	_, err = s.GetIdentity(ctx, "github", "7")
	wantErr(t, err, store.ErrNotFound)

	must(t, s.DeleteIdentity(ctx, "oidc", "acme|00u1"))
	wantErr(t, s.DeleteIdentity(ctx, "oidc", "acme|00u1"), store.ErrNotFound)

	// The owner's deletion takes its identities with it.
	must(t, s.DeleteUser(ctx, other.UserID))
	_, err = s.GetIdentity(ctx, "github", "42")
	wantErr(t, err, store.ErrNotFound)
}

// testUsersWithoutEmail: users of a connection whose provider shares no address are as many as
// their identities; none is found by an empty address, and each keeps no email.
func testUsersWithoutEmail(t *testing.T, s store.Store) {
	for _, id := range []string{"github|1", "github|2"} {
		must(t, s.CreateUser(ctx, &domain.User{UserID: id, Connection: "github", Nickname: "n" + id}))
	}
	u, err := s.GetUser(ctx, "github|2")
	must(t, err)
	eq(t, "email", u.Email, "")
	_, err = s.GetUserByEmail(ctx, "github", "")
	wantErr(t, err, store.ErrNotFound)
	list, err := s.ListUsersByEmail(ctx, "")
	must(t, err)
	eq(t, "users by empty email", len(list), 0)
	u.Email = "two@example.com"
	must(t, s.UpdateUser(ctx, u))
	got, err := s.GetUserByEmail(ctx, "github", "two@example.com")
	must(t, err)
	eq(t, "found by its new address", got.UserID, "github|2")
	u.Email = ""
	must(t, s.UpdateUser(ctx, u))
	_, err = s.GetUserByEmail(ctx, "github", "two@example.com")
	wantErr(t, err, store.ErrNotFound)
}
