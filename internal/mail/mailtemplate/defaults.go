package mailtemplate

import (
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// defaultFile maps a template name to the files of its built-in default; Auth0's legacy reset
// names share the reset mail.
var defaultFile = map[string]string{
	domain.TemplateVerifyEmail: "verify_email", domain.TemplateResetEmail: "reset_email",
	domain.TemplateChangePassword: "reset_email", domain.TemplatePasswordReset: "reset_email",
	domain.TemplateWelcomeEmail: "welcome_email", domain.TemplateBlockedAccount: "blocked_account",
	domain.TemplateUserInvitation: "user_invitation", domain.TemplateMFAOOBCode: "mfa_oob_code",
}

// defaultEnabled is whether a template is sent before the tenant configures it: as Auth0, all but
// the welcome mail.
func defaultEnabled(name string) bool { return name != domain.TemplateWelcomeEmail }

func readDefault(name string) string {
	b, err := defaultFiles.ReadFile("defaults/" + name)
	if err != nil {
		panic("mailtemplate: missing built-in template " + name) // embedded; a test reads them all
	}
	return string(b)
}

func compose(layout, subject, content string) string {
	return strings.NewReplacer("[[subject]]", subject, "[[content]]", strings.TrimRight(content, "\n")).Replace(layout)
}

// Default returns the built-in template of that name: Gatehouse's own HTML, in the same Liquid
// a tenant would write, so a tenant's copy of it behaves the same.
func Default(name string) (*domain.EmailTemplate, error) {
	file, ok := defaultFile[name]
	if !ok {
		return nil, fmt.Errorf("mailtemplate: no template named %q", name)
	}
	subject := strings.TrimSpace(readDefault(file + ".subject"))
	return &domain.EmailTemplate{Template: name, Syntax: domain.EmailTemplateSyntax, Subject: subject,
		Body: compose(readDefault("layout.html"), subject, readDefault(file+".html")), Enabled: defaultEnabled(name),
		IncludeEmailInRedirect: true}, nil
}

// defaultText is the plain-text part for a template that is still the built-in one; a tenant's
// own body is sent as HTML alone.
func defaultText(t *domain.EmailTemplate) string {
	d, err := Default(t.Template)
	if err != nil || d.Body != t.Body {
		return ""
	}
	return compose(readDefault("layout.txt"), "", readDefault(defaultFile[t.Template]+".txt"))
}
