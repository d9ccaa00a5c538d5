package mfa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Errors of a WebAuthn ceremony, each a clear refusal that changes nothing.
var (
	// ErrChallengeGone: no live challenge for this binding (used already, expired, or never made).
	ErrChallengeGone = errors.New("webauthn: the challenge was already answered or has expired")
	// ErrCeremonyFailed: the answer does not verify (another origin or RP ID, another challenge, a
	// bad signature, no user verification where required, an unknown credential).
	ErrCeremonyFailed = errors.New("webauthn: the authenticator's answer does not verify")
	// ErrCloned: the signature counter did not move forward (WebAuthn §6.1.1).
	ErrCloned = errors.New("webauthn: the authenticator's signature counter went backwards")
	// ErrAlreadyRegistered: the credential is registered already.
	ErrAlreadyRegistered = errors.New("webauthn: this authenticator is already registered")
)

// WebAuthn runs registration and authentication ceremonies (github.com/go-webauthn/webauthn) for
// security keys and platform authenticators as second factors and for passkeys. The relying
// party id is the issuer's host and the only accepted origin the issuer's origin; attestation is
// not asked for (Auth0 does not either), so any authenticator may enroll.
type WebAuthn struct {
	store store.Store
	rp    *webauthn.WebAuthn
	now   func() time.Time
}

// NewWebAuthn builds the relying party of the issuer (https://host[:port]/).
func NewWebAuthn(st store.Store, issuer, displayName string, now func() time.Time) (*WebAuthn, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("webauthn: issuer %q has no host", issuer)
	}
	if displayName == "" {
		displayName = u.Hostname()
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: displayName, RPOrigins: []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: domain.WebAuthnChallengeLifetime},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: domain.WebAuthnChallengeLifetime},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &WebAuthn{store: st, rp: rp, now: now}, nil
}

// RPID is the relying party id (the issuer's host).
func (w *WebAuthn) RPID() string { return w.rp.Config.RPID }

// Account is the user a credential is registered to. ID is the user handle (the user id: opaque,
// at most 64 bytes, the same for every credential of the user, so that an authenticator keeps one
// passkey per account).
type Account struct {
	ID, Name, DisplayName string
	creds                 []webauthn.Credential
}

// AccountOf is the WebAuthn account of a user.
func AccountOf(u *domain.User) Account {
	name := u.Email
	if name == "" {
		name = u.Username
	}
	display := u.Name
	if display == "" {
		display = name
	}
	return Account{ID: u.UserID, Name: name, DisplayName: display}
}

func (a *Account) WebAuthnID() []byte                         { return []byte(a.ID) }
func (a *Account) WebAuthnName() string                       { return a.Name }
func (a *Account) WebAuthnDisplayName() string                { return a.DisplayName }
func (a *Account) WebAuthnCredentials() []webauthn.Credential { return a.creds }

// ceremony is what is stored between the options and the answer.
type ceremony struct {
	Session webauthn.SessionData `json:"session"`
	// Kind is the credential type being registered, or the types an assertion may use.
	Kinds []string `json:"kinds"`
	// Account is the account a registration is for (a passkey signup's new user has no row yet).
	Account *Account `json:"account,omitempty"`
}

// accountJSON keeps Account's fields when stored (creds are never stored with a ceremony).
type accountJSON struct{ ID, Name, DisplayName string }

func (a Account) MarshalJSON() ([]byte, error) {
	return json.Marshal(accountJSON{a.ID, a.Name, a.DisplayName})
}

func (a *Account) UnmarshalJSON(b []byte) error {
	var v accountJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Account{ID: v.ID, Name: v.Name, DisplayName: v.DisplayName}
	return nil
}

// Credentials lists a user's credentials of the given types (all when none are given).
func (w *WebAuthn) Credentials(ctx context.Context, userID string, kinds ...string) ([]*domain.WebAuthnCredential, error) {
	list, err := w.store.ListWebAuthnCredentials(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(kinds) == 0 {
		return list, nil
	}
	out := list[:0]
	for _, c := range list {
		if contains(kinds, c.Type) {
			out = append(out, c)
		}
	}
	return out, nil
}

// BeginRegistration starts registering a credential of kind (a factor type or MethodPasskey) for
// account, binds the ceremony to binding, and returns the options for
// navigator.credentials.create as JSON. The user's credentials are excluded, so an authenticator
// registers once.
func (w *WebAuthn) BeginRegistration(ctx context.Context, binding, kind string, account Account) ([]byte, error) {
	existing, err := w.store.ListWebAuthnCredentials(ctx, account.ID)
	if err != nil {
		return nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range existing {
		if rec, err := record(c); err == nil {
			exclude = append(exclude, rec.Descriptor())
		}
	}
	sel := protocol.AuthenticatorSelection{}
	switch kind {
	case domain.FactorWebAuthnRoaming:
		// A security key: touched, not necessarily unlocked (a second factor after a password).
		sel.AuthenticatorAttachment = protocol.CrossPlatform
		sel.ResidentKey = protocol.ResidentKeyRequirementDiscouraged
		sel.UserVerification = protocol.VerificationDiscouraged
	case domain.FactorWebAuthnPlatform:
		sel.AuthenticatorAttachment = protocol.Platform
		sel.ResidentKey = protocol.ResidentKeyRequirementDiscouraged
		sel.UserVerification = protocol.VerificationRequired
	case domain.MethodPasskey:
		// A passkey alone signs the user in: discoverable, and the user verified (PIN, biometrics).
		sel.ResidentKey = protocol.ResidentKeyRequirementRequired
		sel.RequireResidentKey = protocol.ResidentKeyRequired()
		sel.UserVerification = protocol.VerificationRequired
	default:
		return nil, fmt.Errorf("webauthn: unknown credential type %q", kind)
	}
	opts, session, err := w.rp.BeginRegistration(&account, webauthn.WithAuthenticatorSelection(sel), webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("webauthn: begin registration: %w", err)
	}
	if err := w.put(ctx, binding, ceremony{Session: *session, Kinds: []string{kind}, Account: &account}); err != nil {
		return nil, err
	}
	return json.Marshal(opts)
}

// Registered is the outcome of a registration: the stored credential and the account it is for.
type Registered struct {
	Credential *domain.WebAuthnCredential
	Account    Account
}

// FinishRegistration verifies the answer to the registration bound to binding, which must be of
// kind for userID (empty: the account the ceremony named, for a signup), and stores the
// credential when create is nil; create, when given, is called instead to write the user and the
// credential together.
func (w *WebAuthn) FinishRegistration(ctx context.Context, binding, kind, userID string, answer []byte, name, userAgent string,
	create func(*domain.WebAuthnCredential, Account) error) (*Registered, error) {
	c, err := w.take(ctx, binding)
	if err != nil {
		return nil, err
	}
	if len(c.Kinds) != 1 || c.Kinds[0] != kind || c.Account == nil || (userID != "" && c.Account.ID != userID) {
		return nil, ErrChallengeGone
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCeremonyFailed, err)
	}
	cred, err := w.rp.CreateCredential(c.Account, c.Session, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCeremonyFailed, err)
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = defaultName(kind)
	}
	if len(name) > 64 {
		name = name[:64]
	}
	if len(userAgent) > 512 {
		userAgent = userAgent[:512]
	}
	rec := &domain.WebAuthnCredential{
		ID: kind + "|dev_" + domain.RandomToken(12), UserID: c.Account.ID, Type: kind, CredentialID: cred.ID,
		Name: name, SignCount: cred.Authenticator.SignCount, Data: data, UserAgent: userAgent, CreatedAt: w.now().UTC(),
	}
	if create != nil {
		err = create(rec, *c.Account)
	} else {
		err = w.store.CreateWebAuthnCredential(ctx, rec)
	}
	if errors.Is(err, store.ErrConflict) {
		return nil, ErrAlreadyRegistered
	}
	if err != nil {
		return nil, err
	}
	return &Registered{Credential: rec, Account: *c.Account}, nil
}

func defaultName(kind string) string {
	switch kind {
	case domain.FactorWebAuthnRoaming:
		return "Security key"
	case domain.FactorWebAuthnPlatform:
		return "This device"
	}
	return "Passkey"
}

// BeginLogin starts an assertion bound to binding. With userID it allows only that user's
// credentials of kinds (a second factor); without, any discoverable credential (a passkey
// sign-in, also for the browser's autofill). It returns the options for navigator.credentials.get.
func (w *WebAuthn) BeginLogin(ctx context.Context, binding, userID string, kinds []string) ([]byte, error) {
	var (
		opts    *protocol.CredentialAssertion
		session *webauthn.SessionData
		err     error
	)
	uv := protocol.VerificationRequired
	if contains(kinds, domain.FactorWebAuthnRoaming) {
		uv = protocol.VerificationDiscouraged
	}
	if userID == "" {
		opts, session, err = w.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(uv))
	} else {
		list, lerr := w.Credentials(ctx, userID, kinds...)
		if lerr != nil {
			return nil, lerr
		}
		account := Account{ID: userID}
		for _, c := range list {
			rec, rerr := record(c)
			if rerr != nil {
				return nil, rerr
			}
			account.creds = append(account.creds, *rec)
		}
		if len(account.creds) == 0 {
			return nil, fmt.Errorf("webauthn: the user has no credential of %v", kinds)
		}
		opts, session, err = w.rp.BeginLogin(&account, webauthn.WithUserVerification(uv))
	}
	if err != nil {
		return nil, fmt.Errorf("webauthn: begin login: %w", err)
	}
	if err := w.put(ctx, binding, ceremony{Session: *session, Kinds: kinds}); err != nil {
		return nil, err
	}
	return json.Marshal(opts)
}

// FinishLogin verifies the answer to the assertion bound to binding: made by the issuer's origin
// for its RP ID over this ceremony's challenge, by a credential of the ceremony's kinds belonging
// to userID (or, for a discoverable sign-in with userID empty, to the user its user handle
// names), with user verification where it was required, and a counter that moved forward. The
// counter and the time are recorded; the credential is returned.
func (w *WebAuthn) FinishLogin(ctx context.Context, binding, userID string, answer []byte) (*domain.WebAuthnCredential, error) {
	c, err := w.take(ctx, binding)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCeremonyFailed, err)
	}
	owner := userID
	if owner == "" {
		owner = string(parsed.Response.UserHandle)
	}
	if owner == "" || len(owner) > 128 {
		return nil, fmt.Errorf("%w: no user handle", ErrCeremonyFailed)
	}
	list, err := w.Credentials(ctx, owner, c.Kinds...)
	if err != nil {
		return nil, err
	}
	account := Account{ID: owner}
	var stored *domain.WebAuthnCredential
	for _, sc := range list {
		rec, err := record(sc)
		if err != nil {
			return nil, err
		}
		account.creds = append(account.creds, *rec)
		if bytes.Equal(sc.CredentialID, parsed.RawID) {
			stored = sc
		}
	}
	if stored == nil {
		return nil, fmt.Errorf("%w: unknown credential", ErrCeremonyFailed)
	}
	var cred *webauthn.Credential
	if userID == "" {
		cred, err = w.rp.ValidateDiscoverableLogin(func(_, _ []byte) (webauthn.User, error) { return &account, nil }, c.Session, parsed)
	} else {
		cred, err = w.rp.ValidateLogin(&account, c.Session, parsed)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCeremonyFailed, err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, ErrCloned
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	now := w.now().UTC()
	ok, err := w.store.UseWebAuthnCredential(ctx, stored.ID, cred.Authenticator.SignCount, data, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrCloned
	}
	stored.SignCount, stored.Data, stored.LastAuthAt = cred.Authenticator.SignCount, data, &now
	return stored, nil
}

func (w *WebAuthn) put(ctx context.Context, binding string, c ceremony) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return w.store.PutWebAuthnChallenge(ctx, &domain.WebAuthnChallenge{
		Binding: binding, Data: data, ExpiresAt: w.now().UTC().Add(domain.WebAuthnChallengeLifetime),
	})
}

func (w *WebAuthn) take(ctx context.Context, binding string) (*ceremony, error) {
	stored, err := w.store.TakeWebAuthnChallenge(ctx, binding, w.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrChallengeGone
	}
	if err != nil {
		return nil, err
	}
	var c ceremony
	if err := json.Unmarshal(stored.Data, &c); err != nil {
		return nil, fmt.Errorf("webauthn: stored ceremony: %w", err)
	}
	return &c, nil
}

// Record is the library's credential record of a stored credential.
func Record(c *domain.WebAuthnCredential) (*webauthn.Credential, error) { return record(c) }

func record(c *domain.WebAuthnCredential) (*webauthn.Credential, error) {
	var rec webauthn.Credential
	if err := json.Unmarshal(c.Data, &rec); err != nil {
		return nil, fmt.Errorf("webauthn: stored credential %s: %w", c.ID, err)
	}
	return &rec, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
