package domain

import "time"

// Second factors (Auth0's Guardian). A user's enrolled factors are MFAAuthenticators: a TOTP
// authenticator app (its secret sealed with a key derived from the master key) and one recovery
// code (its SHA-256 only). An authenticator is Confirmed once its first code has been entered;
// until then it does not count as enrolled and is replaced by the next enrollment.
const (
	FactorOTP          = "otp"
	FactorRecoveryCode = "recovery-code"
	// FactorEmail is a one-time code mailed to the user's verified address.
	FactorEmail = "email"
)

// Authentication-method types as /api/v2/users/{id}/authentication-methods names them.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery-code"
	MethodEmail        = "email"
)

// MFAAuthenticator is one enrolled second factor of a user.
type MFAAuthenticator struct {
	ID     string
	UserID string
	// Type is MethodTOTP, MethodRecoveryCode or MethodEmail.
	Type string
	// Secret is the sealed TOTP secret, or the recovery code's SHA-256; empty for an email
	// authenticator, whose codes go to the user's verified address at the time they are sent.
	Secret    []byte
	Confirmed bool
	// LastStep is the TOTP time step of the last code accepted: a code of that step or an earlier
	// one is refused, so each code is usable once.
	LastStep   int64
	CreatedAt  time.Time
	LastAuthAt *time.Time
}

// The tenant's MFA policies (/api/v2/guardian/policies).
const (
	PolicyAllApplications = "all-applications"
	PolicyConfidenceScore = "confidence-score"
)

// GuardianFactors Gatehouse knows, in the order Auth0 lists them; OTP, email, the WebAuthn factors
// and recovery codes can be enabled.
var GuardianFactors = []string{"sms", "push-notification", "otp", "email", "duo", "webauthn-roaming", "webauthn-platform", "recovery-code"}

// GuardianSupported reports whether a factor can be enabled.
func GuardianSupported(name string) bool {
	return name == FactorOTP || name == FactorRecoveryCode || name == FactorEmail || name == FactorWebAuthnRoaming || name == FactorWebAuthnPlatform
}

// AnswerableFactor reports whether an enabled factor lets a user answer a second factor (recovery
// codes only stand in for a lost one): what the MFA API and the password grants can ask for.
func (g GuardianSettings) AnswerableFactor() bool {
	return g.AnyFactorEnabled() || g.Enabled[FactorEmail]
}

// GuardianSettings is the tenant's MFA configuration: when MFA is asked for and which factors are on.
type GuardianSettings struct {
	Policies []string        `json:"policies"`
	Enabled  map[string]bool `json:"enabled"`
}

// DefaultGuardianSettings: no policy (MFA only when an app or an Action asks), OTP and recovery
// codes enabled, so that an Action's api.multifactor.enable works without further setup.
func DefaultGuardianSettings() GuardianSettings {
	return GuardianSettings{Policies: []string{}, Enabled: map[string]bool{FactorOTP: true, FactorRecoveryCode: true}}
}

// AlwaysMFA reports whether the policy asks for MFA on every sign-in (confidence-score is treated
// as always: Gatehouse has no risk score).
func (g GuardianSettings) AlwaysMFA() bool {
	for _, p := range g.Policies {
		if p == PolicyAllApplications || p == PolicyConfidenceScore {
			return true
		}
	}
	return false
}

// SessionMFA records that a browser session passed a second factor: when, and the methods used
// (the amr values: "otp", "mfa").
type SessionMFA struct {
	SessionID string
	Methods   []string
	At        time.Time
}

// ACRMultiFactor is the acr value of a sign-in that passed MFA, the one apps ask for in acr_values.
const ACRMultiFactor = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"

// Lifetimes of the MFA API's secrets: an mfa_token (Auth0's ten minutes) and a mailed code.
const (
	MFATokenLifetime  = 10 * time.Minute
	EmailCodeLifetime = 5 * time.Minute
)
