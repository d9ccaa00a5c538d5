package domain

import (
	"crypto/md5" //nolint:gosec // Gravatar addresses are defined as MD5 of the email; not a security use
	"encoding/hex"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// DefaultConnection is the database connection every user belongs to until others exist.
const DefaultConnection = "Username-Password-Authentication"

// Identity is one way a user signs in (spec §3.5).
type Identity struct {
	Connection string `json:"connection"`
	UserID     string `json:"user_id"`
	Provider   string `json:"provider"`
	IsSocial   bool   `json:"isSocial"`
	// The provider's tokens: shown only to a Management API token with read:user_idp_tokens.
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	// ProfileData is a linked account's profile (never the primary identity's).
	ProfileData map[string]any `json:"profileData,omitempty"`
}

// User is a person who signs in. PasswordHash is a PHC string (argon2id, or bcrypt for imported
// hashes) and never leaves the server: it has no JSON name.
type User struct {
	UserID            string         `json:"user_id"`
	Email             string         `json:"email,omitempty"`
	EmailVerified     bool           `json:"email_verified"`
	Username          string         `json:"username,omitempty"`
	PhoneNumber       string         `json:"phone_number,omitempty"`
	Name              string         `json:"name,omitempty"`
	Nickname          string         `json:"nickname,omitempty"`
	GivenName         string         `json:"given_name,omitempty"`
	FamilyName        string         `json:"family_name,omitempty"`
	Picture           string         `json:"picture,omitempty"`
	AppMetadata       map[string]any `json:"app_metadata,omitempty"`
	UserMetadata      map[string]any `json:"user_metadata,omitempty"`
	Blocked           bool           `json:"blocked,omitempty"`
	Connection        string         `json:"-"`
	PasswordHash      string         `json:"-"`
	CreatedAt         time.Time      `json:"-"`
	UpdatedAt         time.Time      `json:"-"`
	LastLogin         *time.Time     `json:"-"`
	LastIP            string         `json:"-"`
	LoginsCount       int            `json:"-"`
	LastPasswordReset *time.Time     `json:"-"`
}

// Identities returns the user's own identity, the one its user id (provider|id) names. The
// identities linked to it are kept beside it (UserIdentity); WithLinked adds them.
func (u *User) Identities() []Identity {
	conn := u.Connection
	if conn == "" {
		conn = DefaultConnection
	}
	provider, id, _ := strings.Cut(u.UserID, "|")
	return []Identity{{Connection: conn, UserID: id, Provider: provider, IsSocial: IsSocialProvider(provider)}}
}

// WithLinked is the user's identities[]: its own first, then those linked to it, oldest first.
func (u *User) WithLinked(linked []*UserIdentity) []Identity {
	out := u.Identities()
	for _, l := range linked {
		if l.OwnerID != u.UserID || !l.Linked() {
			continue
		}
		out = append(out, Identity{Connection: l.Connection, UserID: l.IdentityID, Provider: l.Provider,
			IsSocial: IsSocialProvider(l.Provider), ProfileData: l.ProfileData})
	}
	return out
}

// NormalizeEmail lower-cases an email address: Auth0 treats emails case-insensitively.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

var userIDPattern = regexp.MustCompile(`^[a-z0-9-]+\|[A-Za-z0-9_.@-]{1,200}$`)

// ApplyUserDefaults derives what Auth0 derives when the profile has no explicit values (spec §2.2):
// name = email, nickname = the email's local part, picture = the Gravatar URL with Auth0's initials
// fallback.
func ApplyUserDefaults(u *User) {
	u.Email = NormalizeEmail(u.Email)
	if u.Connection == "" {
		u.Connection = DefaultConnection
	}
	if u.Name == "" {
		u.Name = u.Email
	}
	if u.Nickname == "" {
		local, _, _ := strings.Cut(u.Email, "@")
		u.Nickname = local
	}
	if u.Picture == "" && u.Email != "" {
		u.Picture = GravatarURL(u.Email, u.Nickname)
	}
}

// GravatarURL is Auth0's default picture: Gravatar with a fallback avatar of two initials.
func GravatarURL(email, nickname string) string {
	sum := md5.Sum([]byte(NormalizeEmail(email))) //nolint:gosec // see import
	initials := strings.ToLower(nickname)
	if len(initials) > 2 {
		initials = initials[:2]
	}
	fallback := "https://cdn.auth0.com/avatars/" + initials + ".png"
	return "https://s.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=480&r=pg&d=" + url.QueryEscape(fallback)
}

// Validate checks the user's fields (not the password: see ValidatePassword).
func (u *User) Validate() error {
	var errs Errors
	if !userIDPattern.MatchString(u.UserID) {
		errs.add(Invalidf("user_id", "%q is not a valid user id (provider|id)", u.UserID))
	}
	if u.Email == "" {
		errs.add(Invalidf("email", "is required"))
	} else if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || !strings.Contains(u.Email, "@") {
		errs.add(Invalidf("email", "%q is not a valid email address", u.Email))
	}
	if len(u.Name) > 300 {
		errs.add(Invalidf("name", "must be at most 300 characters"))
	}
	if len(u.Nickname) > 300 {
		errs.add(Invalidf("nickname", "must be at most 300 characters"))
	}
	if u.Picture != "" {
		if p, err := url.Parse(u.Picture); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs.add(Invalidf("picture", "must be an http(s) URL"))
		}
	}
	if u.Username != "" && (len(u.Username) > 128 || strings.ContainsAny(u.Username, " @")) {
		errs.add(Invalidf("username", "must be at most 128 characters without spaces or @"))
	}
	return errs.Err()
}

// PasswordPolicyDescription is shown on the signup page and in errors.
const PasswordPolicyDescription = "At least 8 characters, with at least 3 of: lower case letters, upper case letters, numbers, special characters."

// ValidatePassword applies the tenant's password policy (Auth0's "fair" strength: length 8 and three
// of four character classes) and refuses passwords longer than 128 characters, so that hashing cost
// stays bounded.
func ValidatePassword(field, password string) *Error {
	if len(password) < 8 {
		return Invalidf(field, "password is too weak: %s", PasswordPolicyDescription)
	}
	if len(password) > 128 {
		return Invalidf(field, "password must be at most 128 characters")
	}
	var lower, upper, digit, special bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			special = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, special} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		return Invalidf(field, "password is too weak: %s", PasswordPolicyDescription)
	}
	return nil
}
