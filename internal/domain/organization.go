package domain

import (
	"net/url"
	"regexp"
	"time"
)

// Organizations (spec §3.6): the customers of a B2B application. Each has members, roles that hold
// only inside it, the connections its members sign in with, and invitations to join it.

var (
	// organizationNamePattern is Auth0's rule for an organization's name: a lowercase slug of
	// letters, digits, '-' and '_', starting with a letter or digit, at most 50 characters.
	organizationNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)
	hexColorPattern         = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
)

// Organization is one organization as the Management API shows it.
type Organization struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	DisplayName string                `json:"display_name,omitempty"`
	Branding    *OrganizationBranding `json:"branding,omitempty"`
	Metadata    map[string]string     `json:"metadata,omitempty"`
	CreatedAt   time.Time             `json:"-"`
	UpdatedAt   time.Time             `json:"-"`
}

// OrganizationBranding is what the login page shows for an organization.
type OrganizationBranding struct {
	LogoURL string              `json:"logo_url,omitempty"`
	Colors  *OrganizationColors `json:"colors,omitempty"`
}

// OrganizationColors are the login page's colors, as #rrggbb.
type OrganizationColors struct {
	Primary        string `json:"primary,omitempty"`
	PageBackground string `json:"page_background,omitempty"`
}

// Validate checks Auth0's rules: a slug name, a display name of at most 255 characters, an https
// logo, #rrggbb colors, and at most 25 metadata keys of at most 255 characters each.
func (o *Organization) Validate() error {
	var errs Errors
	if !organizationNamePattern.MatchString(o.Name) {
		errs.add(Invalidf("name", "must be 1 to 50 lowercase letters, digits, '-' or '_', starting with a letter or digit"))
	}
	if len(o.DisplayName) > 255 {
		errs.add(Invalidf("display_name", "must be at most 255 characters"))
	}
	if b := o.Branding; b != nil {
		if b.LogoURL != "" {
			if u, err := url.Parse(b.LogoURL); err != nil || u.Scheme != "https" || u.Host == "" || len(b.LogoURL) > 2048 {
				errs.add(Invalidf("branding.logo_url", "must be an https URL"))
			}
		}
		if c := b.Colors; c != nil {
			if c.Primary != "" && !hexColorPattern.MatchString(c.Primary) {
				errs.add(Invalidf("branding.colors.primary", "must be a color as #rrggbb"))
			}
			if c.PageBackground != "" && !hexColorPattern.MatchString(c.PageBackground) {
				errs.add(Invalidf("branding.colors.page_background", "must be a color as #rrggbb"))
			}
		}
	}
	if len(o.Metadata) > 25 {
		errs.add(Invalidf("metadata", "at most 25 keys"))
	}
	for k, v := range o.Metadata {
		if k == "" || len(k) > 255 || len(v) > 255 {
			errs.add(Invalidf("metadata", "keys must be 1 to 255 characters and values at most 255"))
			break
		}
	}
	return errs.Err()
}

// OrganizationConnection is a connection enabled for an organization: its members may sign in with it.
type OrganizationConnection struct {
	OrganizationID string `json:"-"`
	ConnectionID   string `json:"connection_id"`
	// AssignMembershipOnLogin makes a user of the connection a member when they sign in through the
	// organization, instead of refusing a non-member.
	AssignMembershipOnLogin bool `json:"assign_membership_on_login"`
	ShowAsButton            bool `json:"show_as_button"`
	IsSignupEnabled         bool `json:"is_signup_enabled"`
	// ConnectionName and Strategy are read from the connection, never stored here.
	ConnectionName string    `json:"-"`
	Strategy       string    `json:"-"`
	CreatedAt      time.Time `json:"-"`
}

// Invitation is an invitation to join an organization. Only the hash of its ticket is kept: the
// ticket itself is shown once, in the invitation URL the mail carries and the create answer.
type Invitation struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	TicketHash     []byte            `json:"-"`
	Inviter        InvitationInviter `json:"inviter"`
	Invitee        InvitationInvitee `json:"invitee"`
	ClientID       string            `json:"client_id"`
	ConnectionID   string            `json:"connection_id,omitempty"`
	AppMetadata    map[string]any    `json:"app_metadata,omitempty"`
	UserMetadata   map[string]any    `json:"user_metadata,omitempty"`
	Roles          []string          `json:"roles,omitempty"`
	CreatedAt      time.Time         `json:"-"`
	ExpiresAt      time.Time         `json:"-"`
	UsedAt         *time.Time        `json:"-"`
}

// InvitationInviter names who invited.
type InvitationInviter struct {
	Name string `json:"name"`
}

// InvitationInvitee is the address invited.
type InvitationInvitee struct {
	Email string `json:"email"`
}

// Invitation lifetimes (Auth0's ttl_sec): a week by default, at most 30 days.
const (
	InvitationDefaultTTL = 7 * 24 * time.Hour
	InvitationMaxTTL     = 30 * 24 * time.Hour
)

// Organization usage of an application (Auth0's organization_usage) and what the login asks for
// when an organization is required (organization_require_behavior).
const (
	OrganizationUsageDeny    = "deny"
	OrganizationUsageAllow   = "allow"
	OrganizationUsageRequire = "require"

	OrganizationRequireNoPrompt        = "no_prompt"
	OrganizationRequirePreLoginPrompt  = "pre_login_prompt"
	OrganizationRequirePostLoginPrompt = "post_login_prompt"
)

func NewOrganizationID() string { return "org_" + randomAlnum(16) }
func NewInvitationID() string   { return "uinv_" + randomAlnum(16) }
