package actions

// The event types carry Auth0's field names in their json tags (spec §5.2, §5.4); the
// script sees exactly those names. Times are strings in Auth0's ISO 8601 form
// ("2006-01-02T15:04:05.000Z"); use ISOTime to format them.

// PostLoginEvent is the post-login trigger's event (spec §5.2).
type PostLoginEvent struct {
	User           User            `json:"user"`
	Authorization  Authorization   `json:"authorization"`
	Client         Client          `json:"client"`
	Connection     Connection      `json:"connection"`
	Organization   *Organization   `json:"organization,omitempty"`
	ResourceServer *ResourceServer `json:"resource_server,omitempty"`
	Request        Request         `json:"request"`
	Transaction    Transaction     `json:"transaction"`
	Authentication Authentication  `json:"authentication"`
	Stats          Stats           `json:"stats"`
	Session        *Session        `json:"session,omitempty"`
	RefreshToken   *RefreshToken   `json:"refresh_token,omitempty"`
	Tenant         Tenant          `json:"tenant"`
}

// User is event.user.
type User struct {
	UserID            string         `json:"user_id"`
	Email             string         `json:"email,omitempty"`
	EmailVerified     bool           `json:"email_verified"`
	Name              string         `json:"name,omitempty"`
	Nickname          string         `json:"nickname,omitempty"`
	GivenName         string         `json:"given_name,omitempty"`
	FamilyName        string         `json:"family_name,omitempty"`
	Picture           string         `json:"picture,omitempty"`
	Username          string         `json:"username,omitempty"`
	PhoneNumber       string         `json:"phone_number,omitempty"`
	PhoneVerified     bool           `json:"phone_verified,omitempty"`
	CreatedAt         string         `json:"created_at,omitempty"`
	UpdatedAt         string         `json:"updated_at,omitempty"`
	LastPasswordReset string         `json:"last_password_reset,omitempty"`
	LoginsCount       int            `json:"logins_count,omitempty"`
	AppMetadata       map[string]any `json:"app_metadata"`
	UserMetadata      map[string]any `json:"user_metadata"`
	Identities        []Identity     `json:"identities"`
	Multifactor       []string       `json:"multifactor,omitempty"`
}

// Identity is one entry of event.user.identities.
type Identity struct {
	Connection string `json:"connection"`
	Provider   string `json:"provider"`
	UserID     string `json:"user_id"`
	IsSocial   bool   `json:"isSocial"`
}

// Authorization is event.authorization. Roles is always an array (Gatehouse policy:
// present on every user login, [] when the user has none).
type Authorization struct {
	Roles []string `json:"roles"`
}

// Client is event.client.
type Client struct {
	ClientID string            `json:"client_id"`
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

// Connection is event.connection.
type Connection struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Strategy string            `json:"strategy"`
	Metadata map[string]string `json:"metadata"`
}

// Organization is event.organization (organization logins only).
type Organization struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name"`
	Metadata    map[string]string `json:"metadata"`
}

// ResourceServer is event.resource_server: the requested audience.
type ResourceServer struct {
	Identifier string `json:"identifier"`
}

// Request is event.request.
type Request struct {
	IP        string         `json:"ip"`
	Hostname  string         `json:"hostname,omitempty"`
	Method    string         `json:"method"`
	Language  string         `json:"language,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
	Query     map[string]any `json:"query"`
	Body      map[string]any `json:"body"`
}

// Transaction is event.transaction.
type Transaction struct {
	ID              string         `json:"id,omitempty"`
	Protocol        string         `json:"protocol,omitempty"`
	RequestedScopes []string       `json:"requested_scopes"`
	RedirectURI     string         `json:"redirect_uri,omitempty"`
	ResponseType    []string       `json:"response_type,omitempty"`
	ResponseMode    string         `json:"response_mode,omitempty"`
	State           string         `json:"state,omitempty"`
	Prompt          []string       `json:"prompt,omitempty"`
	ACRValues       []string       `json:"acr_values,omitempty"`
	UILocales       []string       `json:"ui_locales,omitempty"`
	Locale          string         `json:"locale,omitempty"`
	LoginHint       string         `json:"login_hint,omitempty"`
	Metadata        map[string]any `json:"metadata"`
}

// Authentication is event.authentication.
type Authentication struct {
	Methods []AuthenticationMethod `json:"methods"`
}

// AuthenticationMethod is one way the user authenticated: Name is "pwd", "federated",
// "mfa", ...; Timestamp is in milliseconds since the Unix epoch (spec §5.2).
type AuthenticationMethod struct {
	Name      string `json:"name"`
	Timestamp int64  `json:"timestamp"`
}

// Stats is event.stats.
type Stats struct {
	LoginsCount int `json:"logins_count"`
}

// Session is event.session.
type Session struct {
	ID              string         `json:"id"`
	CreatedAt       string         `json:"created_at,omitempty"`
	UpdatedAt       string         `json:"updated_at,omitempty"`
	AuthenticatedAt string         `json:"authenticated_at,omitempty"`
	ExpiresAt       string         `json:"expires_at,omitempty"`
	IdleExpiresAt   string         `json:"idle_expires_at,omitempty"`
	Metadata        map[string]any `json:"metadata"`
}

// RefreshToken is event.refresh_token during refresh-token exchanges.
type RefreshToken struct {
	ID            string `json:"id"`
	ClientID      string `json:"client_id"`
	CreatedAt     string `json:"created_at,omitempty"`
	ExpiresAt     string `json:"expires_at,omitempty"`
	IdleExpiresAt string `json:"idle_expires_at,omitempty"`
	Rotating      bool   `json:"rotating"`
	SessionID     string `json:"session_id,omitempty"`
}

// Tenant is event.tenant.
type Tenant struct {
	ID string `json:"id"`
}

// CredentialsExchangeEvent is the credentials-exchange trigger's event (spec §5.4).
type CredentialsExchangeEvent struct {
	Client         Client                 `json:"client"`
	ResourceServer ResourceServer         `json:"resource_server"`
	AccessToken    AccessTokenInfo        `json:"accessToken"`
	Transaction    CredentialsTransaction `json:"transaction"`
	Request        Request                `json:"request"`
	Organization   *Organization          `json:"organization,omitempty"`
	Tenant         Tenant                 `json:"tenant"`
}

// AccessTokenInfo is event.accessToken: the scopes being granted and the custom claims
// earlier actions set.
type AccessTokenInfo struct {
	Scope        []string       `json:"scope"`
	CustomClaims map[string]any `json:"customClaims"`
}

// CredentialsTransaction is event.transaction for credentials-exchange.
type CredentialsTransaction struct {
	RequestedScopes []string `json:"requested_scopes"`
}
