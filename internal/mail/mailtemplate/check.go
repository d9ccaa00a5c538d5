package mailtemplate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Check refuses a template that must not be saved: domain's field rules (name, sizes, header
// injection in from and subject, the result URL, the lifetime), Liquid that does not parse, a tag
// or range the sandbox does not allow, and a body or subject that does not render within the
// limits for a sample user. The error names the field and says why, and is safe to show.
func Check(t *domain.EmailTemplate) error {
	if err := t.Validate(); err != nil {
		return err
	}
	r := New(sampleSource{}, "https://tenant.example/")
	d := Data{User: &domain.User{UserID: "auth0|sample", Email: "jane@example.com", Name: "Jane Doe", Nickname: "jane",
		GivenName: "Jane", FamilyName: "Doe", UserMetadata: map[string]any{}, AppMetadata: map[string]any{}},
		Client:   &domain.Client{ClientID: "sample", Name: "Sample application", Callbacks: []string{"https://app.example/callback"}},
		URL:      "https://tenant.example/u/email-verification?ticket=sample",
		Lifetime: 5 * 24 * time.Hour,
		// code is the one-time code of mfa_oob_code.
		Extra: map[string]any{"code": "123456"}}
	vars := r.variables(domain.DefaultTenantSettings(), d)
	for _, part := range []struct{ field, src string }{{"subject", t.Subject}, {"body", t.Body}} {
		out, err := renderPart(part.src, vars)
		switch {
		case errors.Is(err, ErrLimit):
			return domain.Invalidf(part.field, "The %s does not render within the limits: %s.", part.field, plain(err))
		case err != nil:
			return domain.Invalidf(part.field, "The %s is not valid Liquid: %s.", part.field, plain(err))
		case part.field == "subject" && out != oneLine(out):
			return domain.Invalidf("subject", "The subject must render to one line.")
		}
	}
	return nil
}

// plain is an error's text without the library's wrapping quotes, bounded for an API answer.
func plain(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

type sampleSource struct{}

func (sampleSource) GetEmailTemplate(context.Context, string) (*domain.EmailTemplate, error) {
	return nil, fmt.Errorf("sample source has no templates")
}

func (sampleSource) GetTenantSettings(context.Context) (domain.TenantSettings, error) {
	return domain.DefaultTenantSettings(), nil
}
