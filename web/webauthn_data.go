package web

import "time"

// WebAuthnData fills templates/mfa_webauthn.html: a security key or platform authenticator to
// enroll (Mode "create") or to answer (Mode "get"). Options is the server's JSON for
// navigator.credentials.create or .get; web/static/webauthn.js runs the ceremony and posts the
// answer as `credential`.
type WebAuthnData struct {
	MFAForm
	Mode    string
	Options string
	Heading string
	Lead    string
	Button  string
	// AskName offers a name for the new authenticator (input `name`).
	AskName bool
	// Links are the other ways to go on (another factor, a recovery code).
	Links []Link
}

// Link is a labelled link.
type Link struct {
	URL   string
	Label string
}

// PasskeyLogin is the passkey part of the login page: a conditional request answered from the
// username field's autofill and/or a "Continue with a passkey" button, posted to Action.
type PasskeyLogin struct {
	Action   string
	Options  string
	Button   bool
	Autofill bool
}

// PasskeySignupData fills templates/passkey_signup.html: the email is taken; the browser now
// creates the passkey.
type PasskeySignupData struct {
	Base
	Action  string
	State   string
	CSRF    string
	Email   string
	Options string
	Error   string
	BackURL string
}

// PasskeysData fills templates/passkeys.html: the signed-in user's passkeys and a button to add one.
type PasskeysData struct {
	Base
	Email    string
	Passkeys []PasskeyItem
	Action   string
	CSRF     string
	Options  string // empty: passkeys are not enabled for the user's connection
	Error    string
	Notice   string
}

// PasskeyItem is one passkey in the list.
type PasskeyItem struct {
	Name      string
	CreatedAt time.Time
	LastUsed  *time.Time
}
