package domain

import (
	"net/url"
	"strings"
	"time"
)

// Ticket kinds: what a ticket may be redeemed for. A ticket of one kind is never accepted for another.
const (
	TicketPasswordReset     = "password_reset"
	TicketEmailVerification = "email_verification"
	// TicketUnblockAccount lifts the brute-force blocks on a user's account (the blocked_account
	// mail's link).
	TicketUnblockAccount = "unblock_account"
	// TicketMFAToken is the mfa_token of a password exchange that needs a second factor: read by
	// the MFA API (/mfa/*) while it lives, spent by the MFA grant that completes the exchange.
	TicketMFAToken = "mfa_token"
	// TicketMFAOOB is an oob_code: one mailed code, bound to the mfa_token it was asked with.
	TicketMFAOOB = "mfa_oob"
	// TicketGuardianEnrollment is a Guardian enrollment ticket's link: it lets its user enroll a
	// second factor once.
	TicketGuardianEnrollment = "guardian_enrollment"
)

// Ticket lifetimes. Auth0 defaults a ticket made through the Management API to five days and
// caps ttl_sec at thirty; a reset mail the user asked for themselves lives a day, long enough for
// a slow inbox and short enough that an old mail in a mailbox is not a standing key.
const (
	DefaultTicketLifetime = 5 * 24 * time.Hour
	MaxTicketLifetime     = 30 * 24 * time.Hour
	ResetMailLifetime     = 24 * time.Hour
)

// Ticket is a single-use, expiring link secret bound to one user and one purpose. The secret
// itself (256 random bits, base64url) is shown once, in the link; the store keeps only its SHA-256.
type Ticket struct {
	Hash      []byte     `json:"-"`
	Kind      string     `json:"-"`
	UserID    string     `json:"-"`
	ExpiresAt time.Time  `json:"-"`
	UsedAt    *time.Time `json:"-"`

	CreatedAt time.Time `json:"created_at"`
	// ClientID is the application the user came from, when known.
	ClientID string `json:"client_id,omitempty"`
	// ResultURL is where the done page sends the user (Auth0's result_url).
	ResultURL string `json:"result_url,omitempty"`
	// IncludeEmail adds the user's email to ResultURL (Auth0's includeEmailInRedirect).
	IncludeEmail bool `json:"include_email_in_redirect,omitempty"`
	// MarkEmailVerified sets email_verified when the ticket is redeemed (Auth0's
	// mark_email_as_verified). A reset mail the user received proves the address too, but Auth0
	// sets the flag only when asked, and so do we.
	MarkEmailVerified bool `json:"mark_email_as_verified,omitempty"`
	// LoginState is the login transaction the user left to ask for a reset, to return to it.
	LoginState string `json:"login_state,omitempty"`
	// Email is the address an email-verification ticket verifies: a ticket issued before the
	// user's address changed does not verify the new one.
	Email string `json:"email,omitempty"`
	// Identity is the database account (provider|id) linked to UserID whose password a reset
	// ticket changes; "" for the user's own password.
	Identity string `json:"identity,omitempty"`

	// Audience, Scope and Connection are what an mfa_token's password exchange asked for, for the
	// MFA grant that completes it.
	Audience   string `json:"audience,omitempty"`
	Scope      string `json:"scope,omitempty"`
	Connection string `json:"connection,omitempty"`
	// Binding is the hash of the ticket this one belongs to (an oob_code's mfa_token), and
	// AuthenticatorID the factor it challenges.
	Binding         []byte `json:"binding,omitempty"`
	AuthenticatorID string `json:"authenticator_id,omitempty"`
	// CodeHash is the hash of the code an oob_code's mail carries, bound to the oob_code.
	CodeHash []byte `json:"code_hash,omitempty"`
}

// NewTicket returns a fresh ticket secret and its hash as stored.
func NewTicket() (secret string, hash []byte) {
	secret = RandomToken(32)
	return secret, HashSecret(secret)
}

// Usable reports whether the ticket may still be redeemed at now.
func (t *Ticket) Usable(now time.Time) bool {
	return t.UsedAt == nil && now.Before(t.ExpiresAt)
}

// ResetPasswordPath is the hosted password reset page: without a ticket it asks for an address,
// with ?ticket= it is the new-password form a reset link opens (New Universal Login's path).
const ResetPasswordPath = "/u/reset-password"

// ResetPasswordURL is the link that carries a reset ticket's secret, on the tenant's issuer.
func ResetPasswordURL(issuer, secret string) string {
	return strings.TrimSuffix(issuer, "/") + ResetPasswordPath + "?ticket=" + url.QueryEscape(secret)
}

// EmailVerificationPath is the hosted page an email-verification link opens (New Universal
// Login's path).
const EmailVerificationPath = "/u/email-verification"

// EmailVerificationURL is the link that carries an email-verification ticket's secret.
func EmailVerificationURL(issuer, secret string) string {
	return strings.TrimSuffix(issuer, "/") + EmailVerificationPath + "?ticket=" + url.QueryEscape(secret)
}

// VerifyMailLifetime is how long a verification link mailed at signup or through the jobs API
// lives unless the verify_email template says otherwise (Auth0's default, five days).
const VerifyMailLifetime = DefaultTicketLifetime

// UnblockAccountPath is the hosted page a blocked_account mail's link opens: it asks the user to
// confirm, and only the confirmation's POST spends the ticket (a mail scanner's GET spends nothing).
const UnblockAccountPath = "/u/unblock"

// UnblockAccountURL is the link that carries an unblock ticket's secret.
func UnblockAccountURL(issuer, secret string) string {
	return strings.TrimSuffix(issuer, "/") + UnblockAccountPath + "?ticket=" + url.QueryEscape(secret)
}

// BlockedMailLifetime is how long the link in a blocked_account mail lives unless the template
// says otherwise (Auth0's default for its links, five days).
const BlockedMailLifetime = DefaultTicketLifetime

// GuardianEnrollmentPath is the hosted page an enrollment ticket's link opens.
const GuardianEnrollmentPath = "/u/guardian-enrollment"

// GuardianEnrollmentURL is the link that carries an enrollment ticket's secret.
func GuardianEnrollmentURL(issuer, secret string) string {
	return strings.TrimSuffix(issuer, "/") + GuardianEnrollmentPath + "?ticket=" + url.QueryEscape(secret)
}

// GuardianTicketLifetime is how long an enrollment ticket lives (Auth0's five days).
const GuardianTicketLifetime = DefaultTicketLifetime
