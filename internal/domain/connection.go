package domain

import (
	"regexp"
	"strings"
	"time"
)

// StrategyAuth0 is a database connection: users and password hashes kept by Gatehouse (Auth0's
// strategy name for it).
const StrategyAuth0 = "auth0"

// Password strength levels of a database connection (Auth0's options.passwordPolicy). Each level's
// rules are in internal/passwordpolicy.
const (
	PasswordPolicyNone      = "none"
	PasswordPolicyLow       = "low"
	PasswordPolicyFair      = "fair"
	PasswordPolicyGood      = "good"
	PasswordPolicyExcellent = "excellent"
)

// Limits of the password options, as Auth0 documents them.
const (
	MaxPasswordMinLength      = 128 // password_complexity_options.min_length: 1..128
	MaxPasswordHistorySize    = 24  // password_history.size: 1..24
	DefaultPasswordHistory    = 5   // password_history.size when enabled without a size
	MaxPasswordDictionarySize = 200 // password_dictionary.dictionary: up to 200 words …
	MaxPasswordDictionaryWord = 50  // … of up to 50 characters each
)

// Connection is where users come from (spec §4.4 Connections). Gatehouse keeps database connections
// (strategy "auth0"): the users, their password hashes and the rules a new password must meet.
type Connection struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	DisplayName        string            `json:"display_name,omitempty"`
	Strategy           string            `json:"strategy"`
	Options            ConnectionOptions `json:"options"`
	IsDomainConnection bool              `json:"is_domain_connection"`
	// ShowAsButton shows an enterprise connection as a button on the login page (Auth0's
	// show_as_button; social connections always are).
	ShowAsButton *bool             `json:"show_as_button,omitempty"`
	Realms       []string          `json:"realms"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	// EnabledClients are the applications whose users may sign in and sign up through the
	// connection. They are kept in a table of their own (a deleted client leaves every list), not
	// in the JSON document.
	EnabledClients []string `json:"-"`
	// SecretSealed is an upstream connection's client secret, sealed (write-only: never shown).
	SecretSealed []byte `json:"-"`
	// ClientKey is an oidc connection's private_key_jwt key (upstream_keys.go); never in a view.
	ClientKey *ConnectionKey `json:"-"`
	// NextClientKey is published for the provider to register before a rotation makes it
	// ClientKey; PreviousClientKey is the key the last rotation retired (listed, never used).
	NextClientKey     *ConnectionKey `json:"-"`
	PreviousClientKey *ConnectionKey `json:"-"`
	CreatedAt         time.Time      `json:"-"`
	UpdatedAt         time.Time      `json:"-"`
}

// ConnectionOptions are a database connection's options, with Auth0's names. Only the options
// Gatehouse enforces are accepted: an option it would store and ignore is refused instead.
type ConnectionOptions struct {
	// PasswordPolicy is the strength level; "" is Auth0's null, which means "none".
	PasswordPolicy            string                     `json:"passwordPolicy,omitempty"`
	PasswordComplexityOptions *PasswordComplexityOptions `json:"password_complexity_options,omitempty"`
	PasswordHistory           *PasswordHistoryOptions    `json:"password_history,omitempty"`
	PasswordNoPersonalInfo    *EnableOption              `json:"password_no_personal_info,omitempty"`
	PasswordDictionary        *PasswordDictionaryOptions `json:"password_dictionary,omitempty"`
	DisableSignup             bool                       `json:"disable_signup"`
	RequiresUsername          bool                       `json:"requires_username"`
	BruteForceProtection      bool                       `json:"brute_force_protection"`
	// StrategyVersion is accepted and echoed as Auth0 does (Terraform sends it); it changes nothing.
	StrategyVersion int `json:"strategy_version,omitempty"`
	// DisableSelfServiceChangePassword is Auth0's switch off for "Forgot password?". Gatehouse always
	// offers the reset flow, so only false (Auth0's default, which the Deploy CLI sends) is accepted.
	DisableSelfServiceChangePassword bool `json:"disable_self_service_change_password,omitempty"`
	// AuthenticationMethods turns passkeys on as a first factor beside the password (Auth0's
	// authentication_methods.passkey.enabled); PasskeyOptions says how the login page offers them.
	AuthenticationMethods *AuthenticationMethods `json:"authentication_methods,omitempty"`
	PasskeyOptions        *PasskeyOptions        `json:"passkey_options,omitempty"`
	// UpstreamOptions are an oidc, oauth2, github or google-oauth2 connection's (upstream.go).
	UpstreamOptions
	// SAMLOptions are a samlp connection's (saml.go).
	SAMLOptions
}

// PasswordComplexityOptions overrides the level's minimum length.
type PasswordComplexityOptions struct {
	MinLength int `json:"min_length,omitempty"`
}

// PasswordHistoryOptions refuses a new password equal to one of the user's last Size passwords.
type PasswordHistoryOptions struct {
	Enable bool `json:"enable"`
	Size   int  `json:"size,omitempty"`
}

// PasswordDictionaryOptions refuses the built-in list of common passwords and the tenant's own words.
type PasswordDictionaryOptions struct {
	Enable     bool     `json:"enable"`
	Dictionary []string `json:"dictionary,omitempty"`
}

// EnableOption is an option that is on or off.
type EnableOption struct {
	Enable bool `json:"enable"`
}

// HistorySize is how many previous password hashes the connection keeps: 0 when history is off.
func (o ConnectionOptions) HistorySize() int {
	if o.PasswordHistory == nil || !o.PasswordHistory.Enable {
		return 0
	}
	if o.PasswordHistory.Size <= 0 {
		return DefaultPasswordHistory
	}
	return o.PasswordHistory.Size
}

// EnabledFor reports whether clientID may use the connection.
func (c *Connection) EnabledFor(clientID string) bool {
	for _, id := range c.EnabledClients {
		if id == clientID {
			return true
		}
	}
	return false
}

var connectionNamePattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$`)

// ApplyConnectionDefaults fills what Auth0 fills on create: the realm is the connection's name, and a
// new database connection is protected against brute force unless the caller says otherwise (the
// caller sets BruteForceProtection before this when the body omits it).
func ApplyConnectionDefaults(c *Connection) {
	if c.Strategy == "" {
		c.Strategy = StrategyAuth0
	}
	if len(c.Realms) == 0 {
		c.Realms = []string{c.Name}
	}
	if IsUpstreamStrategy(c.Strategy) {
		c.Options.BruteForceProtection = false // no password is checked here
	}
	if h := c.Options.PasswordHistory; h != nil && h.Enable && h.Size == 0 {
		h.Size = DefaultPasswordHistory
	}
}

// Validate checks the connection's own rules: a name Auth0 accepts (letters, digits and inner
// hyphens, at most 128), the database strategy, and each password option within Auth0's bounds.
func (c *Connection) Validate() error {
	var errs Errors
	if !connectionNamePattern.MatchString(c.Name) {
		errs.add(Invalidf("name", "must be 1 to 128 letters, digits or inner hyphens"))
	}
	if c.Options.DisableSelfServiceChangePassword {
		errs.add(Invalidf("options.disable_self_service_change_password", "Gatehouse always offers password reset to a database connection's users; true is not supported"))
	}
	if len(c.DisplayName) > 128 {
		errs.add(Invalidf("display_name", "must be at most 128 characters"))
	}
	if c.Strategy != StrategyAuth0 && !IsUpstreamStrategy(c.Strategy) {
		errs.add(Invalidf("strategy", "%q is not supported: one of auth0, %s", c.Strategy, strings.Join(UpstreamStrategies, ", ")))
	}
	if c.IsDomainConnection {
		errs.add(Invalidf("is_domain_connection", "domain connections are not supported"))
	}
	if len(c.Realms) != 1 || c.Realms[0] != c.Name {
		errs.add(Invalidf("realms", "a connection's only realm is its name"))
	}
	if len(c.Metadata) > 10 {
		errs.add(Invalidf("metadata", "at most 10 keys"))
	}
	for k, v := range c.Metadata {
		if k == "" || len(k) > 255 || len(v) > 255 {
			errs.add(Invalidf("metadata", "keys and values must be 1 to 255 characters"))
			break
		}
	}
	switch {
	case c.Strategy == StrategySAMLP:
		c.validateSAML(&errs)
	case IsUpstreamStrategy(c.Strategy):
		c.validateUpstream(&errs)
	default:
		c.Options.validate(&errs)
		if c.Options.UpstreamOptions.ClientID != "" || c.Options.UpstreamOptions.ClientSecret != "" || c.ShowAsButton != nil {
			errs.add(Invalidf("options", "client_id, client_secret and show_as_button belong to connections to other providers"))
		}
		if !c.Options.SAMLOptions.isZero() {
			errs.add(Invalidf("options", "signInEndpoint, signingCert and the other SAML options belong to samlp connections"))
		}
	}
	return errs.Err()
}

func (o *ConnectionOptions) validate(errs *Errors) {
	o.validatePasskeys(errs)
	switch o.PasswordPolicy {
	case "", PasswordPolicyNone, PasswordPolicyLow, PasswordPolicyFair, PasswordPolicyGood, PasswordPolicyExcellent:
	default:
		errs.add(Invalidf("options.passwordPolicy", "%q is not one of none, low, fair, good, excellent", o.PasswordPolicy))
	}
	if p := o.PasswordComplexityOptions; p != nil && (p.MinLength < 1 || p.MinLength > MaxPasswordMinLength) {
		errs.add(Invalidf("options.password_complexity_options.min_length", "must be between 1 and %d", MaxPasswordMinLength))
	}
	if h := o.PasswordHistory; h != nil && (h.Size < 0 || h.Size > MaxPasswordHistorySize) {
		errs.add(Invalidf("options.password_history.size", "must be between 1 and %d", MaxPasswordHistorySize))
	}
	if d := o.PasswordDictionary; d != nil {
		if len(d.Dictionary) > MaxPasswordDictionarySize {
			errs.add(Invalidf("options.password_dictionary.dictionary", "at most %d words", MaxPasswordDictionarySize))
		}
		for _, w := range d.Dictionary {
			if strings.TrimSpace(w) == "" || len(w) > MaxPasswordDictionaryWord {
				errs.add(Invalidf("options.password_dictionary.dictionary", "each word must be 1 to %d characters", MaxPasswordDictionaryWord))
				break
			}
		}
	}
}
