package passwordreset

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// The reset mail's default template. It is rendered when the mail is queued, so the outbox holds a
// finished message and delivery needs nothing but the provider.
//
//go:embed mailtemplates
var mailFiles embed.FS

// KindResetEmail is the outbox kind of a reset mail (the mail worker logs `fcpr` when one is given up).
const KindResetEmail = "reset_email"

const resetSubject = "Reset your password"

type mailTemplates struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

func loadMailTemplates() (*mailTemplates, error) {
	h, err := htmltemplate.ParseFS(mailFiles, "mailtemplates/reset_email.html")
	if err != nil {
		return nil, fmt.Errorf("passwordreset: mail template: %w", err)
	}
	t, err := texttemplate.ParseFS(mailFiles, "mailtemplates/reset_email.txt")
	if err != nil {
		return nil, fmt.Errorf("passwordreset: mail template: %w", err)
	}
	return &mailTemplates{html: h, text: t}, nil
}

type mailData struct {
	Tenant, Initial, Email, URL, Lifetime string
}

// render builds the reset mail to email with link.
func (m *mailTemplates) render(tenant, email, link string, lifetime time.Duration) (*domain.OutboundEmail, error) {
	d := mailData{Tenant: tenant, Initial: initial(tenant), Email: email, URL: link, Lifetime: humanDuration(lifetime)}
	var h, t bytes.Buffer
	if err := m.html.Execute(&h, d); err != nil {
		return nil, fmt.Errorf("passwordreset: render mail: %w", err)
	}
	if err := m.text.Execute(&t, d); err != nil {
		return nil, fmt.Errorf("passwordreset: render mail: %w", err)
	}
	return &domain.OutboundEmail{To: email, Subject: resetSubject, HTML: h.String(), Text: t.String(), Kind: KindResetEmail}, nil
}

func initial(s string) string {
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(s))
	if r == utf8.RuneError {
		return "G"
	}
	return string(unicode.ToUpper(r))
}

// humanDuration says a ticket lifetime in words: "24 hours", "5 days", "30 minutes".
func humanDuration(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(max(1, int(d/time.Minute)), "minute")
	}
}
