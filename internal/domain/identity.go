package domain

import (
	"strings"
	"time"
)

// UserIdentity is what is kept of one identity beyond the user row (Auth0's identities[] entry):
// an account linked to another user, which then signs in as that user (the primary account), and
// the upstream tokens a provider sent for any identity.
type UserIdentity struct {
	Provider   string // the strategy: github, oidc, auth0, …
	IdentityID string // the id after "provider|" (github|42 → 42; oidc|acme|sub → acme|sub)
	// OwnerID is the user the identity signs in as: the account's own user id until it is linked.
	OwnerID    string
	Connection string
	// ProfileData is the profile the provider last sent for a linked identity (Auth0's
	// profileData): the secondary account's attributes, which the primary's do not replace.
	ProfileData map[string]any
	// TokensSealed are the upstream access and refresh tokens, sealed; never shown unsealed but
	// to a Management API token with read:user_idp_tokens.
	TokensSealed []byte
	// Password is what a database account brings when it is linked as a secondary account: its
	// password still signs in (as the primary user), and unlinking gives it back. Nil for other
	// identities; never part of profileData.
	Password  *LinkedPassword
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LinkedPassword is the password of a database account linked to another user.
type LinkedPassword struct {
	Hash              string     `json:"hash"`
	LastPasswordReset *time.Time `json:"last_password_reset,omitempty"`
}

// FullID is the identity's user id as an account of its own: provider|id.
func (i *UserIdentity) FullID() string { return i.Provider + "|" + i.IdentityID }

// Linked reports whether the identity belongs to another user than the account it names.
func (i *UserIdentity) Linked() bool { return i.OwnerID != i.FullID() }

// SplitUserID splits a user id into the provider and the identity's id (Auth0's user_id in
// identities[]): "oidc|acme|00u1" is provider "oidc", id "acme|00u1".
func SplitUserID(userID string) (provider, id string, ok bool) {
	provider, id, ok = strings.Cut(userID, "|")
	return provider, id, ok && provider != "" && id != ""
}

// IdPTokens are the tokens a provider sent at the last sign-in through an identity.
type IdPTokens struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
}

// ProfileData is the profile of an account as Auth0 keeps it in a linked identity's profileData.
func (u *User) ProfileData() map[string]any {
	out := map[string]any{}
	for k, v := range map[string]string{"email": u.Email, "name": u.Name, "nickname": u.Nickname, "given_name": u.GivenName,
		"family_name": u.FamilyName, "picture": u.Picture, "username": u.Username, "phone_number": u.PhoneNumber} {
		if v != "" {
			out[k] = v
		}
	}
	if u.Email != "" {
		out["email_verified"] = u.EmailVerified
	}
	return out
}

// UserFromProfileData is the account an unlinked identity becomes again (Auth0's unlink: a new
// standalone user of the identity's profile, without the metadata of either account), with its
// password when it is a database account.
func UserFromProfileData(i *UserIdentity) *User {
	u := &User{UserID: i.FullID(), Connection: i.Connection}
	str := func(k string) string { s, _ := i.ProfileData[k].(string); return s }
	u.Email, u.Name, u.Nickname, u.GivenName = str("email"), str("name"), str("nickname"), str("given_name")
	u.FamilyName, u.Picture, u.Username, u.PhoneNumber = str("family_name"), str("picture"), str("username"), str("phone_number")
	u.EmailVerified, _ = i.ProfileData["email_verified"].(bool)
	if i.Password != nil {
		u.PasswordHash, u.LastPasswordReset = i.Password.Hash, i.Password.LastPasswordReset
	}
	return u
}
