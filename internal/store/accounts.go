package store

// The stores of what users belong to and prove: organizations (members, their roles, invitations)
// and second factors.

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// OrganizationStore keeps organizations, their members, the roles members hold inside them, the
// connections enabled for them and invitations to join them. Deleting an organization deletes all
// of that with it; deleting a user, role or connection takes it off every organization.
type OrganizationStore interface {
	CreateOrganization(ctx context.Context, o *domain.Organization) error // conflict on name
	GetOrganization(ctx context.Context, id string) (*domain.Organization, error)
	GetOrganizationByName(ctx context.Context, name string) (*domain.Organization, error)
	UpdateOrganization(ctx context.Context, o *domain.Organization) error // conflict on name
	DeleteOrganization(ctx context.Context, id string) error
	ListOrganizations(ctx context.Context, p Page) ([]*domain.Organization, int, error)
	// ListOrganizationsAfter pages by id; next is "" on the last page.
	ListOrganizationsAfter(ctx context.Context, c Cursor) (list []*domain.Organization, next string, err error)

	// AddOrganizationMembers makes each user a member, idempotently: a user added twice (or by two
	// requests at once) is one membership. An unknown organization or user changes nothing.
	AddOrganizationMembers(ctx context.Context, orgID string, userIDs []string) error
	// RemoveOrganizationMembers ends the memberships and the roles held through them.
	RemoveOrganizationMembers(ctx context.Context, orgID string, userIDs []string) error
	IsOrganizationMember(ctx context.Context, orgID, userID string) (bool, error)
	ListOrganizationMembers(ctx context.Context, orgID string, p Page) ([]*domain.User, int, error)
	// ListOrganizationMembersAfter pages by user id; next is "" on the last page.
	ListOrganizationMembersAfter(ctx context.Context, orgID string, c Cursor) (list []*domain.User, next string, err error)
	ListUserOrganizations(ctx context.Context, userID string, p Page) ([]*domain.Organization, int, error)

	// AddOrganizationMemberRoles is idempotent; the user must be a member (ErrNotFound otherwise).
	AddOrganizationMemberRoles(ctx context.Context, orgID, userID string, roleIDs []string) error
	RemoveOrganizationMemberRoles(ctx context.Context, orgID, userID string, roleIDs []string) error
	ListOrganizationMemberRoles(ctx context.Context, orgID, userID string, p Page) ([]*domain.Role, int, error)
	// OrganizationMemberPermissionNames returns the names of the permissions on one API that the
	// member's roles in the organization grant, sorted: RBAC at token issuance for an organization login.
	OrganizationMemberPermissionNames(ctx context.Context, orgID, userID, audience string) ([]string, error)

	// AddOrganizationConnection enables a connection; conflict when it is enabled already.
	AddOrganizationConnection(ctx context.Context, c *domain.OrganizationConnection) error
	GetOrganizationConnection(ctx context.Context, orgID, connectionID string) (*domain.OrganizationConnection, error)
	UpdateOrganizationConnection(ctx context.Context, c *domain.OrganizationConnection) error
	RemoveOrganizationConnection(ctx context.Context, orgID, connectionID string) error
	ListOrganizationConnections(ctx context.Context, orgID string) ([]*domain.OrganizationConnection, error)

	// CreateInvitation stores inv; through a Store bound to a transaction it commits with its mail.
	CreateInvitation(ctx context.Context, inv *domain.Invitation) error
	// GetInvitation returns an unused invitation of the organization.
	GetInvitation(ctx context.Context, orgID, id string) (*domain.Invitation, error)
	DeleteInvitation(ctx context.Context, orgID, id string) error
	// ListInvitations lists the organization's unused invitations, newest first.
	ListInvitations(ctx context.Context, orgID string, p Page) ([]*domain.Invitation, int, error)
	// FindInvitation returns the invitation with that ticket hash, spent or not; ErrNotFound when none.
	FindInvitation(ctx context.Context, ticketHash []byte) (*domain.Invitation, error)
	// RedeemInvitation spends the invitation with that ticket hash in orgID at now, atomically: of
	// concurrent redemptions exactly one succeeds. Unknown, of another organization, or expired →
	// ErrNotFound; spent before → ErrAlreadyUsed.
	RedeemInvitation(ctx context.Context, ticketHash []byte, orgID string, now time.Time) (*domain.Invitation, error)
}

// MFAStore keeps second factors: users' authenticators, the sessions that passed one, and the
// tenant's MFA settings.
type MFAStore interface {
	// CreateMFAAuthenticator stores a new authenticator.
	CreateMFAAuthenticator(ctx context.Context, a *domain.MFAAuthenticator) error
	// ListMFAAuthenticators lists a user's authenticators, oldest first, confirmed or not.
	ListMFAAuthenticators(ctx context.Context, userID string) ([]*domain.MFAAuthenticator, error)
	// GetMFAAuthenticator returns one authenticator of a user, or ErrNotFound.
	GetMFAAuthenticator(ctx context.Context, userID, id string) (*domain.MFAAuthenticator, error)
	// GetMFAAuthenticatorByID returns an authenticator by its id alone (a Guardian enrollment's
	// id names no user), or ErrNotFound.
	GetMFAAuthenticatorByID(ctx context.Context, id string) (*domain.MFAAuthenticator, error)
	// UseTOTPStep accepts a TOTP code of step for authenticator id: it records step (and confirms
	// the authenticator) only when step is later than the last one accepted, in one conditional
	// UPDATE, and reports whether it did. Of concurrent uses of one code only one is accepted.
	UseTOTPStep(ctx context.Context, id string, step int64, at time.Time) (bool, error)
	// UseRecoveryCode deletes the recovery code id of userID and reports whether this call did.
	UseRecoveryCode(ctx context.Context, userID, id string) (bool, error)
	// MarkMFAAuthenticatorUsed records that a factor without steps (an email authenticator) was
	// answered at at, confirming it; ErrNotFound when it is not there (deleted meanwhile).
	MarkMFAAuthenticatorUsed(ctx context.Context, userID, id string, at time.Time) error
	// DeleteMFAAuthenticator deletes one authenticator of a user; ErrNotFound when it is not there.
	DeleteMFAAuthenticator(ctx context.Context, userID, id string) error
	// DeleteUnconfirmedMFAAuthenticators deletes a user's authenticators of type typ not yet confirmed.
	DeleteUnconfirmedMFAAuthenticators(ctx context.Context, userID, typ string) error
	// DeleteUserMFAAuthenticators deletes every authenticator of a user.
	DeleteUserMFAAuthenticators(ctx context.Context, userID string) error
	// SetSessionMFA records that a session passed a second factor (replacing an earlier record).
	SetSessionMFA(ctx context.Context, m *domain.SessionMFA) error
	// GetSessionMFA returns a session's record, or ErrNotFound when it passed none.
	GetSessionMFA(ctx context.Context, sessionID string) (*domain.SessionMFA, error)
	// GetGuardianSettings returns the tenant's MFA settings, the defaults when never saved.
	GetGuardianSettings(ctx context.Context) (domain.GuardianSettings, error)
	PutGuardianSettings(ctx context.Context, g domain.GuardianSettings) error
	// RememberBrowser records a remembered browser by the SHA-256 of its cookie's value.
	RememberBrowser(ctx context.Context, tokenHash []byte, userID string, expiresAt time.Time) error
	// BrowserRemembered reports whether tokenHash is a live remembered browser of userID.
	BrowserRemembered(ctx context.Context, tokenHash []byte, userID string, now time.Time) (bool, error)
	// ForgetRememberedBrowsers forgets every remembered browser of userID.
	ForgetRememberedBrowsers(ctx context.Context, userID string) error
}

// IdentityStore keeps what a user's identities hold beyond the user row (domain.UserIdentity):
// accounts linked to a primary user, and the sealed upstream tokens of any identity. Deleting the
// owner deletes its identities.
type IdentityStore interface {
	// PutIdentity creates the identity (provider, identity id) or replaces its owner, connection,
	// profile and tokens; ErrNotFound when the owner is not a user.
	PutIdentity(ctx context.Context, i *domain.UserIdentity) error
	GetIdentity(ctx context.Context, provider, identityID string) (*domain.UserIdentity, error)
	// ListUserIdentities lists the identities the user owns, its own (when it has a row) among
	// them, oldest first.
	ListUserIdentities(ctx context.Context, userID string) ([]*domain.UserIdentity, error)
	DeleteIdentity(ctx context.Context, provider, identityID string) error
	// GetLinkedIdentityByEmail and GetLinkedIdentityByUsername find the database account of a
	// connection that is linked to another user by its address or (case-insensitively) its
	// username; ErrNotFound when none is. A user's own account is found by GetUserByEmail.
	GetLinkedIdentityByEmail(ctx context.Context, connection, email string) (*domain.UserIdentity, error)
	GetLinkedIdentityByUsername(ctx context.Context, connection, username string) (*domain.UserIdentity, error)
}

// WebAuthnStore keeps users' WebAuthn credentials (security keys, platform authenticators and
// passkeys) and the challenges of ceremonies in progress.
type WebAuthnStore interface {
	// CreateWebAuthnCredential stores a new credential; a credential id already registered (to
	// any user) is ErrConflict.
	CreateWebAuthnCredential(ctx context.Context, c *domain.WebAuthnCredential) error
	// ListWebAuthnCredentials lists a user's credentials, oldest first.
	ListWebAuthnCredentials(ctx context.Context, userID string) ([]*domain.WebAuthnCredential, error)
	// GetWebAuthnCredential returns one credential of a user, or ErrNotFound.
	GetWebAuthnCredential(ctx context.Context, userID, id string) (*domain.WebAuthnCredential, error)
	// UseWebAuthnCredential records an accepted assertion: the new sign count, the updated record
	// and the time, only when signCount is greater than the stored one or both are zero, in one
	// conditional UPDATE, and reports whether it did. A false answer is a counter that did not
	// move forward: a cloned authenticator, or a concurrent use of the same assertion.
	UseWebAuthnCredential(ctx context.Context, id string, signCount uint32, data []byte, at time.Time) (bool, error)
	// DeleteWebAuthnCredential deletes one credential of a user; ErrNotFound when it is not there.
	DeleteWebAuthnCredential(ctx context.Context, userID, id string) error
	// DeleteUserWebAuthnCredentials deletes every credential of a user.
	DeleteUserWebAuthnCredentials(ctx context.Context, userID string) error
	// PutWebAuthnChallenge stores a ceremony's state, replacing any other of the same binding.
	PutWebAuthnChallenge(ctx context.Context, c *domain.WebAuthnChallenge) error
	// TakeWebAuthnChallenge deletes and returns the live challenge of binding, atomically: of
	// concurrent takes one gets it. None, or expired at now → ErrNotFound.
	TakeWebAuthnChallenge(ctx context.Context, binding string, now time.Time) (*domain.WebAuthnChallenge, error)
}
