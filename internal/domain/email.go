package domain

import (
	"net"
	"net/mail"
	"strings"
	"time"
)

// EmailProvider is the tenant's outgoing mail service as /api/v2/emails/provider shows it. Only
// `smtp` is supported. The SMTP password is write-only: Password carries it in memory on its way
// to being sealed, PasswordSealed is what the store keeps, and neither has a JSON name.
type EmailProvider struct {
	Name               string           `json:"name"`
	Enabled            bool             `json:"enabled"`
	DefaultFromAddress string           `json:"default_from_address,omitempty"`
	Credentials        EmailCredentials `json:"credentials"`
	Settings           map[string]any   `json:"settings,omitempty"`
	Password           string           `json:"-"`
	PasswordSealed     []byte           `json:"-"`
	UpdatedAt          time.Time        `json:"-"`
}

// EmailCredentials are the provider's public connection details (Auth0's `credentials` minus
// `smtp_pass`).
type EmailCredentials struct {
	SMTPHost string `json:"smtp_host,omitempty"`
	SMTPPort int    `json:"smtp_port,omitempty"`
	SMTPUser string `json:"smtp_user,omitempty"`
}

// EmailProviderSMTP is the one provider name Gatehouse delivers through.
const EmailProviderSMTP = "smtp"

// Validate checks the provider's fields. Whether its credentials may travel over the connection
// it describes (TLS) is the sender's rule, checked there and at configuration (mail.CheckProvider).
func (p *EmailProvider) Validate() error {
	if p.Name != EmailProviderSMTP {
		return Invalidf("name", "Only the smtp email provider is supported.")
	}
	host := p.Credentials.SMTPHost
	if host == "" {
		return Invalidf("credentials.smtp_host", "smtp_host is required.")
	}
	if len(host) > 253 || (strings.ContainsAny(host, " \t\r\n/:@\x00") && net.ParseIP(host) == nil) {
		return Invalidf("credentials.smtp_host", "smtp_host must be a host name or an IP address.")
	}
	if p.Credentials.SMTPPort < 1 || p.Credentials.SMTPPort > 65535 {
		return Invalidf("credentials.smtp_port", "smtp_port must be between 1 and 65535.")
	}
	if hasCRLF(p.Credentials.SMTPUser) || hasCRLF(p.Password) || len(p.Credentials.SMTPUser) > 256 || len(p.Password) > 1024 {
		return Invalidf("credentials", "smtp_user or smtp_pass is malformed.")
	}
	if p.Credentials.SMTPUser != "" && p.Password == "" && len(p.PasswordSealed) == 0 {
		return Invalidf("credentials.smtp_pass", "smtp_pass is required with smtp_user.")
	}
	if p.DefaultFromAddress != "" {
		if err := CheckEmailAddress(p.DefaultFromAddress); err != nil {
			return Invalidf("default_from_address", "default_from_address is not a valid email address.")
		}
	}
	return nil
}

// CheckEmailAddress accepts one address (with an optional display name) fit for a mail header:
// no line breaks (header injection), one parsable RFC 5322 mailbox.
func CheckEmailAddress(s string) error {
	if s == "" || len(s) > 320 || hasCRLF(s) {
		return Invalidf("email", "The email address is not valid.")
	}
	if _, err := mail.ParseAddress(s); err != nil {
		return Invalidf("email", "The email address is not valid.")
	}
	return nil
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

// OutboundEmail is one message in the outbox. The body is rendered when the message is queued, so
// delivery needs nothing but the provider. Kind names what the mail is for (reset_email,
// verify_email, …): the tenant log event of a failure depends on it.
type OutboundEmail struct {
	ID       string `json:"-"`
	To       string `json:"to"`
	From     string `json:"from,omitempty"` // empty: the provider's default_from_address
	Subject  string `json:"subject"`
	Text     string `json:"text,omitempty"`
	HTML     string `json:"html,omitempty"`
	Kind     string `json:"kind,omitempty"`
	UserID   string `json:"user_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`

	CreatedAt     time.Time  `json:"-"`
	NextAttemptAt time.Time  `json:"-"`
	Attempts      int        `json:"-"` // claims so far, this one included
	SentAt        *time.Time `json:"-"`
	FailedAt      *time.Time `json:"-"`
	LastError     string     `json:"-"`
}

// Validate refuses a message that could not be sent safely: a bad recipient or sender, a subject
// with line breaks (header injection), no body.
func (m *OutboundEmail) Validate() error {
	if err := CheckEmailAddress(m.To); err != nil {
		return Invalidf("to", "The recipient address is not valid.")
	}
	if m.From != "" {
		if err := CheckEmailAddress(m.From); err != nil {
			return Invalidf("from", "The sender address is not valid.")
		}
	}
	if hasCRLF(m.Subject) || len(m.Subject) > 998 {
		return Invalidf("subject", "The subject must be one line.")
	}
	if m.Text == "" && m.HTML == "" {
		return Invalidf("body", "The message has no body.")
	}
	return nil
}

// NewEmailID returns an outbox message id.
func NewEmailID() string { return "msg_" + randomAlnum(20) }

// DevMail is a message the development mailbox received, as delivered.
type DevMail struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text,omitempty"`
	HTML       string    `json:"html,omitempty"`
}
