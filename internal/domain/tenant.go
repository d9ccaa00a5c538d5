package domain

import (
	"net/netip"
	"net/url"
	"regexp"
	"time"
)

// Key states: a key is published while next, signs while current, stays published while previous so
// that tokens it signed keep verifying, and leaves the JWKS when revoked.
const (
	KeyNext     = "next"
	KeyCurrent  = "current"
	KeyPrevious = "previous"
	KeyRevoked  = "revoked"
)

// SigningKey is a token signing key. The private key is stored encrypted with the master key.
type SigningKey struct {
	KID                 string
	Alg                 string // RS256 or ES256
	State               string
	PrivateKeyEncrypted []byte
	CertDER             []byte // self-signed certificate for x5c / x5t
	CreatedAt           time.Time
	CurrentSince        *time.Time
	PreviousSince       *time.Time
	RevokedAt           *time.Time
}

// LogEvent is a tenant log entry with an Auth0 type code (spec §4.4 Logs).
type LogEvent struct {
	LogID       string         `json:"log_id"`
	Date        time.Time      `json:"date"`
	Type        string         `json:"type"`
	Description string         `json:"description,omitempty"`
	ClientID    string         `json:"client_id,omitempty"`
	ClientName  string         `json:"client_name,omitempty"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	UserID      string         `json:"user_id,omitempty"`
	UserName    string         `json:"user_name,omitempty"`
	Connection  string         `json:"connection,omitempty"`
	Audience    string         `json:"audience,omitempty"`
	Scope       string         `json:"scope,omitempty"`
	Hostname    string         `json:"hostname,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

// TenantSettings are the tenant-wide settings (spec §4.4 Tenant settings). Lifetimes are in hours, as
// Auth0 stores them.
type TenantSettings struct {
	FriendlyName        string          `json:"friendly_name"`
	PictureURL          string          `json:"picture_url,omitempty"`
	SupportEmail        string          `json:"support_email,omitempty"`
	DefaultDirectory    string          `json:"default_directory,omitempty"`
	DefaultAudience     string          `json:"default_audience,omitempty"`
	AllowedLogoutURLs   []string        `json:"allowed_logout_urls,omitempty"`
	SessionLifetime     float64         `json:"session_lifetime"`
	IdleSessionLifetime float64         `json:"idle_session_lifetime"`
	EnabledLocales      []string        `json:"enabled_locales,omitempty"`
	Flags               map[string]bool `json:"flags,omitempty"`
	// Branding is kept with the settings; the Management API shows it at /branding only.
	Branding *Branding `json:"branding,omitempty"`
	// LogRetentionDays is how long the tenant log keeps an event (a Gatehouse setting; Auth0
	// keeps 2 to 30 days by plan). 0, in settings saved before it existed, means the default.
	LogRetentionDays int `json:"log_retention_days"`
	// AllowOrganizationNameInAuthenticationAPI lets /authorize take an organization by name and
	// adds org_name to the tokens of an organization login (Auth0's setting of that name).
	AllowOrganizationNameInAuthenticationAPI bool `json:"allow_organization_name_in_authentication_api"`
	// ActionsAllowedHosts are host names (or IP addresses) an Action's fetch may reach even when
	// they resolve to a loopback, private or link-local address (a Gatehouse setting: an internal
	// service the tenant means Actions to call). Every other host is checked after DNS resolution.
	ActionsAllowedHosts []string `json:"actions_allowed_hosts,omitempty"`
}

// MaxActionsAllowedHosts bounds TenantSettings.ActionsAllowedHosts.
const MaxActionsAllowedHosts = 50

var allowedHostRE = regexp.MustCompile(`^(?i:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.(?i:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?))*$`)

// validAllowedHost accepts a DNS name or an IP address: no scheme, port, path or wildcard.
func validAllowedHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return len(h) <= 253 && allowedHostRE.MatchString(h)
}

// DefaultLogRetentionDays is Auth0's longest retention, and Gatehouse's default.
const DefaultLogRetentionDays = 30

// LogRetention is how long an event is kept.
func (t *TenantSettings) LogRetention() time.Duration {
	d := t.LogRetentionDays
	if d <= 0 {
		d = DefaultLogRetentionDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// DefaultTenantSettings: 7-day absolute and 3-day idle SSO sessions (Auth0's idle default; the absolute
// default is a Gatehouse choice, shorter than Auth0's dashboard default of 30 days).
func DefaultTenantSettings() TenantSettings {
	return TenantSettings{
		FriendlyName:        "Gatehouse",
		DefaultDirectory:    DefaultConnection,
		SessionLifetime:     168,
		IdleSessionLifetime: 72,
		EnabledLocales:      []string{"en"},
		Flags:               map[string]bool{"enable_sso": true, "revoke_refresh_token_grant": false},
		LogRetentionDays:    DefaultLogRetentionDays,
	}
}

// Validate checks the settings.
func (t *TenantSettings) Validate() error {
	var errs Errors
	if len(t.FriendlyName) > 255 {
		errs.add(Invalidf("friendly_name", "must be at most 255 characters"))
	}
	if t.SupportEmail != "" && CheckEmailAddress(t.SupportEmail) != nil {
		errs.add(Invalidf("support_email", "must be an email address"))
	}
	if t.PictureURL != "" {
		if u, err := url.Parse(t.PictureURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs.add(Invalidf("picture_url", "must be an absolute http or https URL"))
		}
	}
	validateURLList(&errs, "allowed_logout_urls", t.AllowedLogoutURLs, AppTypeRegularWeb, ValidateAppURL)
	if t.SessionLifetime < 1 || t.SessionLifetime > 8760 {
		errs.add(Invalidf("session_lifetime", "must be between 1 and 8760 hours"))
	}
	if t.LogRetentionDays < 0 || t.LogRetentionDays > 3650 {
		errs.add(Invalidf("log_retention_days", "must be between 1 and 3650 days"))
	}
	if len(t.ActionsAllowedHosts) > MaxActionsAllowedHosts {
		errs.add(Invalidf("actions_allowed_hosts", "at most %d hosts", MaxActionsAllowedHosts))
	}
	for i, h := range t.ActionsAllowedHosts {
		if !validAllowedHost(h) {
			errs.add(Invalidf("actions_allowed_hosts["+itoa(i)+"]", "%q is not a host name or IP address (no scheme, port, path or wildcard)", h))
		}
	}
	if t.IdleSessionLifetime < 1 || t.IdleSessionLifetime > t.SessionLifetime {
		errs.add(Invalidf("idle_session_lifetime", "must be between 1 hour and session_lifetime"))
	}
	return errs.Err()
}
