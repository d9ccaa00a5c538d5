package web

import "time"

// PageAccount is the signed-in user's own account page (/u/account): their second factors and
// passkeys, each removable, and their recovery code, regenerable, after a fresh second factor.
const PageAccount = "account"

// AccountData fills templates/account.html.
type AccountData struct {
	Base
	Email string
	Name  string
	// Action is where the page's forms post; CSRF their token.
	Action string
	CSRF   string
	// Factors are the second factors, Passkeys the passkeys; HasRecoveryCode says whether a
	// recovery code is set, and CanRegenerate whether one may be made (a factor and the tenant's
	// recovery-code factor on).
	Factors         []AccountItem
	Passkeys        []AccountItem
	HasRecoveryCode bool
	CanRegenerate   bool
	// Fresh: a second factor was passed within the last minutes, so changes need no new one.
	Fresh bool
	// NewRecoveryCode is shown once, just after it was made.
	NewRecoveryCode string
	// PasskeysURL is the page that adds a passkey ("" when passkeys are off).
	PasskeysURL string
	Error       string
	Notice      string
}

// AccountItem is one factor or passkey of the account page.
type AccountItem struct {
	ID        string
	Kind      string // what it is, for people: "Authenticator app", "Security key"…
	Name      string
	CreatedAt time.Time
	LastUsed  *time.Time
}
