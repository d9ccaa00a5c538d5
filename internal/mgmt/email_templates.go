package mgmt

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// emailTemplates serves /email-templates in Auth0's shape (template, body, from, subject,
// syntax, resultUrl, urlLifetimeInSeconds, includeEmailInRedirect, enabled). A name the tenant
// has not configured answers 404 and mails go out with the built-in template. Every save passes
// mailtemplate.Check first: a template that could inject a header, does not parse, reads a file
// or does not render within the sandbox's limits is refused and nothing is stored.
type emailTemplates struct {
	st store.MailStore
}

func (h *Handler) emailTemplateRoutes() []route {
	g := &emailTemplates{st: h.st}
	return []route{
		{method: "GET", path: "/email-templates/{templateName}", scopes: []string{"read:email_templates"}, fn: g.get},
		{method: "POST", path: "/email-templates", scopes: []string{"create:email_templates"}, desc: "Create an email template", fn: g.create},
		{method: "PATCH", path: "/email-templates/{templateName}", scopes: []string{"update:email_templates"}, desc: "Update an email template", fn: g.patch},
		{method: "PUT", path: "/email-templates/{templateName}", scopes: []string{"update:email_templates"}, desc: "Set an email template", fn: g.put},
	}
}

var (
	nfEmailTemplate   = &apiError{http.StatusNotFound, "inexistent_email_template", "The template does not exist."}
	errTemplateExists = &apiError{http.StatusConflict, "email_template_conflict", "The template already exists; use PATCH or PUT to change it."}
)

// templateBody is a request body; a nil field is one the request does not set.
type templateBody struct {
	Template               *string `json:"template"`
	Body                   *string `json:"body"`
	From                   *string `json:"from"`
	Subject                *string `json:"subject"`
	Syntax                 *string `json:"syntax"`
	ResultURL              *string `json:"resultUrl"`
	URLLifetimeInSeconds   *int64  `json:"urlLifetimeInSeconds"`
	IncludeEmailInRedirect *bool   `json:"includeEmailInRedirect"`
	Enabled                *bool   `json:"enabled"`
}

func (b *templateBody) applyTo(t *domain.EmailTemplate) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&t.Body, b.Body)
	set(&t.From, b.From)
	set(&t.Subject, b.Subject)
	set(&t.Syntax, b.Syntax)
	set(&t.ResultURL, b.ResultURL)
	if b.URLLifetimeInSeconds != nil {
		l := *b.URLLifetimeInSeconds
		t.URLLifetimeInSeconds = &l
	}
	if b.IncludeEmailInRedirect != nil {
		t.IncludeEmailInRedirect = *b.IncludeEmailInRedirect
	}
	if b.Enabled != nil {
		t.Enabled = *b.Enabled
	}
}

// pathName is the template the path names; an unknown name is a 400, as Auth0 validates the path.
func pathName(c *call) (string, error) {
	name := c.r.PathValue("templateName")
	if !domain.IsEmailTemplateName(name) {
		return "", refuse(http.StatusBadRequest, codeInvalidURI, "Path validation error: 'templateName' must be one of %s.", quotedNames())
	}
	return name, nil
}

func quotedNames() string {
	s := ""
	for i, n := range domain.EmailTemplateNames {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// auth0OnlyTemplates are Auth0's template names for mails Gatehouse never sends: reading one is
// the 404 of a template the tenant has not set up (as the Auth0 Deploy CLI's export reads every
// name), while writing one stays the 400 of an unknown name.
var auth0OnlyTemplates = map[string]bool{"verify_email_by_code": true, "reset_email_by_code": true,
	"stolen_credentials": true, "enrollment_email": true, "async_approval": true}

func (g *emailTemplates) get(c *call) (int, any, error) {
	if auth0OnlyTemplates[c.r.PathValue("templateName")] {
		return 0, nil, nfEmailTemplate
	}
	name, err := pathName(c)
	if err != nil {
		return 0, nil, err
	}
	return g.load(c, name)
}

func (g *emailTemplates) load(c *call, name string) (int, any, error) {
	t, err := g.st.GetEmailTemplate(c.ctx(), name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfEmailTemplate
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, t, nil
}

// requireFields refuses a create or replace body without what Auth0 requires of one.
func requireFields(b *templateBody) error {
	for _, f := range []struct {
		name string
		set  bool
	}{{"template", b.Template != nil}, {"body", b.Body != nil}, {"subject", b.Subject != nil}, {"syntax", b.Syntax != nil}} {
		if !f.set {
			return refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: %s'.", f.name)
		}
	}
	return nil
}

func (g *emailTemplates) create(c *call) (int, any, error) {
	var b templateBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := requireFields(&b); err != nil {
		return 0, nil, err
	}
	t := &domain.EmailTemplate{Template: *b.Template, Enabled: true, IncludeEmailInRedirect: true}
	b.applyTo(t)
	if err := mailtemplate.Check(t); err != nil {
		return 0, nil, err
	}
	if err := g.st.CreateEmailTemplate(c.ctx(), t); errors.Is(err, store.ErrConflict) {
		return 0, nil, errTemplateExists
	} else if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, t, nil
}

func (g *emailTemplates) patch(c *call) (int, any, error) {
	name, err := pathName(c)
	if err != nil {
		return 0, nil, err
	}
	var b templateBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Template != nil && *b.Template != name {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: template must be %q, the name in the path.", name)
	}
	t, err := g.st.GetEmailTemplate(c.ctx(), name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfEmailTemplate
	}
	if err != nil {
		return 0, nil, err
	}
	b.applyTo(t)
	if err := mailtemplate.Check(t); err != nil {
		return 0, nil, err
	}
	if err := g.st.PutEmailTemplate(c.ctx(), t); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, t, nil
}

// put replaces the template (or creates it): fields the body leaves out take their defaults.
func (g *emailTemplates) put(c *call) (int, any, error) {
	name, err := pathName(c)
	if err != nil {
		return 0, nil, err
	}
	var b templateBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := requireFields(&b); err != nil {
		return 0, nil, err
	}
	if *b.Template != name {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: template must be %q, the name in the path.", name)
	}
	t := &domain.EmailTemplate{Template: name, Enabled: true, IncludeEmailInRedirect: true}
	b.applyTo(t)
	if err := mailtemplate.Check(t); err != nil {
		return 0, nil, err
	}
	if err := g.st.PutEmailTemplate(c.ctx(), t); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, t, nil
}
