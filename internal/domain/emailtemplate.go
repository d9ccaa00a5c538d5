package domain

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Email template names, as Auth0's /api/v2/email-templates/{templateName} spells them.
// change_password and password_reset are Auth0's legacy names for the reset mail; Gatehouse keeps
// them as templates of their own so a tenant moved from Auth0 keeps what it configured.
const (
	TemplateVerifyEmail    = "verify_email"
	TemplateResetEmail     = "reset_email"
	TemplateWelcomeEmail   = "welcome_email"
	TemplateBlockedAccount = "blocked_account"
	TemplateUserInvitation = "user_invitation"
	TemplateChangePassword = "change_password"
	TemplatePasswordReset  = "password_reset"
	// TemplateMFAOOBCode is the mail that carries an email second factor's one-time code ({{ code }}).
	TemplateMFAOOBCode      = "mfa_oob_code"
	EmailTemplateSyntax     = "liquid"
	MaxEmailTemplateBody    = 100 << 10 // bytes of Liquid source in a body
	MaxEmailTemplateSubject = 500       // bytes of Liquid source in a subject
)

// EmailTemplateNames are the templates Gatehouse knows, in Auth0's order.
var EmailTemplateNames = []string{TemplateVerifyEmail, TemplateResetEmail, TemplateWelcomeEmail,
	TemplateBlockedAccount, TemplateUserInvitation, TemplateChangePassword, TemplatePasswordReset, TemplateMFAOOBCode}

// IsEmailTemplateName reports whether name is a template Gatehouse knows.
func IsEmailTemplateName(name string) bool { return slices.Contains(EmailTemplateNames, name) }

// EmailTemplate is a tenant's own version of one mail, in Auth0's shape. Body and Subject are
// Liquid; whether they parse and render within bounds is the template package's rule
// (mailtemplate.Check), applied before a template is saved.
type EmailTemplate struct {
	Template               string    `json:"template"`
	Body                   string    `json:"body"`
	From                   string    `json:"from"`
	Subject                string    `json:"subject"`
	Syntax                 string    `json:"syntax"`
	ResultURL              string    `json:"resultUrl,omitempty"`
	URLLifetimeInSeconds   *int64    `json:"urlLifetimeInSeconds,omitempty"`
	IncludeEmailInRedirect bool      `json:"includeEmailInRedirect"`
	Enabled                bool      `json:"enabled"`
	UpdatedAt              time.Time `json:"-"`
}

// Validate checks the template's fields, short of its Liquid: a known name, the one syntax,
// bounded sizes, a sender address and a subject that cannot add a mail header (no line breaks),
// an absolute http(s) result URL, a link lifetime within MaxTicketLifetime.
func (t *EmailTemplate) Validate() error {
	var errs Errors
	if !IsEmailTemplateName(t.Template) {
		errs.add(Invalidf("template", "Unknown template name %q.", t.Template))
	}
	if t.Syntax != EmailTemplateSyntax {
		errs.add(Invalidf("syntax", "syntax must be %q.", EmailTemplateSyntax))
	}
	if len(t.Body) > MaxEmailTemplateBody {
		errs.add(Invalidf("body", "body must be at most %d bytes.", MaxEmailTemplateBody))
	} else if !utf8.ValidString(t.Body) || strings.ContainsRune(t.Body, 0) {
		errs.add(Invalidf("body", "body must be UTF-8 text."))
	}
	if len(t.Subject) > MaxEmailTemplateSubject || hasCRLF(t.Subject) || !utf8.ValidString(t.Subject) {
		errs.add(Invalidf("subject", "subject must be one line of at most %d bytes.", MaxEmailTemplateSubject))
	}
	if t.From != "" && CheckEmailAddress(t.From) != nil {
		errs.add(Invalidf("from", "from must be one email address, optionally with a display name, on one line."))
	}
	if t.ResultURL != "" {
		u, err := url.Parse(t.ResultURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || hasCRLF(t.ResultURL) || len(t.ResultURL) > 2048 {
			errs.add(Invalidf("resultUrl", "resultUrl must be an absolute http(s) URL."))
		}
	}
	if l := t.URLLifetimeInSeconds; l != nil && (*l < 0 || time.Duration(*l)*time.Second > MaxTicketLifetime) {
		errs.add(Invalidf("urlLifetimeInSeconds", "urlLifetimeInSeconds must be between 0 and %d.", int64(MaxTicketLifetime/time.Second)))
	}
	return errs.Err()
}

// LinkLifetime is how long a link in this mail lives: urlLifetimeInSeconds when set and positive,
// else def.
func (t *EmailTemplate) LinkLifetime(def time.Duration) time.Duration {
	if t != nil && t.URLLifetimeInSeconds != nil && *t.URLLifetimeInSeconds > 0 {
		return time.Duration(*t.URLLifetimeInSeconds) * time.Second
	}
	return def
}
