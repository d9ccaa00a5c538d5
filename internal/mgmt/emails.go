package mgmt

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EmailSecrets seals the email provider's SMTP password for storage (with a key derived from the
// master key). The Management API never opens it: the password is write-only.
type EmailSecrets interface {
	Seal(plaintext string) ([]byte, error)
}

// ProviderCheck validates a provider before it is saved (the mail package's transport rule).
type ProviderCheck func(p *domain.EmailProvider) error

// emails serves /emails/provider (Auth0's shape: name, enabled, default_from_address,
// credentials{smtp_host, smtp_port, smtp_user, smtp_pass}, settings). smtp_pass is accepted and
// never returned.
type emails struct {
	st      store.MailStore
	secrets EmailSecrets
	check   ProviderCheck
}

func (h *Handler) emailRoutes() []route {
	g := &emails{st: h.st, secrets: h.opts.EmailSecrets, check: h.opts.CheckEmailProvider}
	return []route{
		{method: "GET", path: "/emails/provider", scopes: []string{"read:email_provider"}, fn: g.get},
		{method: "POST", path: "/emails/provider", scopes: []string{"create:email_provider"}, desc: "Create email provider", fn: g.create},
		{method: "PATCH", path: "/emails/provider", scopes: []string{"update:email_provider"}, desc: "Update email provider", fn: g.update},
	}
}

var (
	nfEmailProvider = &apiError{http.StatusNotFound, "inexistent_email_provider", "There is no email provider configured."}
	errProviderSet  = &apiError{http.StatusConflict, "email_provider_conflict", "An email provider is already configured; use PATCH to change it."}
)

type providerBody struct {
	Name               *string              `json:"name"`
	Enabled            *bool                `json:"enabled"`
	DefaultFromAddress *string              `json:"default_from_address"`
	Credentials        *providerCredentials `json:"credentials"`
	Settings           *map[string]any      `json:"settings"`
}

type providerCredentials struct {
	SMTPHost *string `json:"smtp_host"`
	SMTPPort *int    `json:"smtp_port"`
	SMTPUser *string `json:"smtp_user"`
	SMTPPass *string `json:"smtp_pass"`
}

// get shows the provider, limited by `fields` and `include_fields` as Auth0 does (auth0 v7's
// emails.provider.get sends them).
func (g *emails) get(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	p, err := g.st.GetEmailProvider(c.ctx())
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfEmailProvider
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pr.apply(p), nil
}

func (g *emails) create(c *call) (int, any, error) {
	var b providerBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Name == nil || b.Credentials == nil {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: %s'.", map[bool]string{true: "name", false: "credentials"}[b.Name == nil])
	}
	if _, err := g.st.GetEmailProvider(c.ctx()); err == nil {
		return 0, nil, errProviderSet
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, nil, err
	}
	p := &domain.EmailProvider{Enabled: true}
	return g.save(c, p, b)
}

func (g *emails) update(c *call) (int, any, error) {
	var b providerBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	p, err := g.st.GetEmailProvider(c.ctx())
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfEmailProvider
	}
	if err != nil {
		return 0, nil, err
	}
	return g.save(c, p, b)
}

// save applies the body to p, validates, seals a new password and stores the result. A host change
// without a new password drops the stored one: a password is never sent to a host it was not
// given for.
func (g *emails) save(c *call, p *domain.EmailProvider, b providerBody) (int, any, error) {
	if b.Name != nil {
		p.Name = *b.Name
	}
	if b.Enabled != nil {
		p.Enabled = *b.Enabled
	}
	if b.DefaultFromAddress != nil {
		p.DefaultFromAddress = *b.DefaultFromAddress
	}
	if b.Settings != nil {
		p.Settings = *b.Settings
	}
	if cr := b.Credentials; cr != nil {
		if cr.SMTPHost != nil && *cr.SMTPHost != p.Credentials.SMTPHost && cr.SMTPPass == nil {
			p.PasswordSealed = nil
		}
		if cr.SMTPHost != nil {
			p.Credentials.SMTPHost = *cr.SMTPHost
		}
		if cr.SMTPPort != nil {
			p.Credentials.SMTPPort = *cr.SMTPPort
		}
		if cr.SMTPUser != nil {
			p.Credentials.SMTPUser = *cr.SMTPUser
		}
		if cr.SMTPPass != nil {
			p.Password = *cr.SMTPPass
			p.PasswordSealed = nil
		}
	}
	if p.Credentials.SMTPUser == "" {
		p.Password, p.PasswordSealed = "", nil // no user, no password kept
	}
	check := g.check
	if check == nil {
		check = func(p *domain.EmailProvider) error { return p.Validate() }
	}
	if err := check(p); err != nil {
		return 0, nil, err
	}
	if p.Password != "" {
		if g.secrets == nil {
			return 0, nil, refuse(http.StatusNotImplemented, codeNotSupported, "This node cannot store an SMTP password.")
		}
		sealed, err := g.secrets.Seal(p.Password)
		if err != nil {
			return 0, nil, err
		}
		p.PasswordSealed, p.Password = sealed, ""
	}
	p.UpdatedAt = time.Time{}
	if err := g.st.PutEmailProvider(c.ctx(), p); err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if c.r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	return status, p, nil
}
