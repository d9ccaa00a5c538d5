package domain

// AuthenticationMethods is a database connection's first factors (Auth0's
// options.authentication_methods): the password, and passkeys. An absent password entry is the
// password enabled, as on every connection created before passkeys existed; the password cannot
// be turned off.
type AuthenticationMethods struct {
	Password *EnabledOption `json:"password,omitempty"`
	Passkey  *EnabledOption `json:"passkey,omitempty"`
}

// EnabledOption is a method that is on or off ({"enabled": true}).
type EnabledOption struct {
	Enabled bool `json:"enabled"`
}

// PasskeyOptions is Auth0's options.passkey_options.
type PasskeyOptions struct {
	// ChallengeUI is how /u/login offers a passkey: "both" (autofill and a button, the default),
	// "autofill" (conditional UI only) or "button".
	ChallengeUI string `json:"challenge_ui,omitempty"`
	// ProgressiveEnrollmentEnabled and LocalEnrollmentEnabled are accepted and echoed; a signed-in
	// user adds a passkey from /u/passkeys.
	ProgressiveEnrollmentEnabled *bool `json:"progressive_enrollment_enabled,omitempty"`
	LocalEnrollmentEnabled       *bool `json:"local_enrollment_enabled,omitempty"`
}

// Passkey challenge_ui values.
const (
	PasskeyChallengeBoth     = "both"
	PasskeyChallengeAutofill = "autofill"
	PasskeyChallengeButton   = "button"
)

// PasskeysEnabled reports whether users of the connection may sign up and sign in with a passkey.
func (o ConnectionOptions) PasskeysEnabled() bool {
	return o.AuthenticationMethods != nil && o.AuthenticationMethods.Passkey != nil && o.AuthenticationMethods.Passkey.Enabled
}

// PasskeyChallengeUI is the connection's challenge_ui, "both" when unset.
func (o ConnectionOptions) PasskeyChallengeUI() string {
	if o.PasskeyOptions == nil || o.PasskeyOptions.ChallengeUI == "" {
		return PasskeyChallengeBoth
	}
	return o.PasskeyOptions.ChallengeUI
}

func (o *ConnectionOptions) validatePasskeys(errs *Errors) {
	if p := o.PasskeyOptions; p != nil {
		switch p.ChallengeUI {
		case "", PasskeyChallengeBoth, PasskeyChallengeAutofill, PasskeyChallengeButton:
		default:
			errs.add(Invalidf("options.passkey_options.challenge_ui", "%q is not one of both, autofill, button", p.ChallengeUI))
		}
	}
	// A connection without passwords would leave every existing password user locked out of a
	// sign-in page that no longer asks for one; refused rather than half done.
	if m := o.AuthenticationMethods; m != nil && m.Password != nil && !m.Password.Enabled {
		errs.add(Invalidf("options.authentication_methods.password.enabled", "turning passwords off is not supported; passkeys are offered beside them"))
	}
}
