package mailtemplate

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

//go:embed defaults
var defaultFiles embed.FS

// Source is what rendering reads: the tenant's templates and its name.
type Source interface {
	GetEmailTemplate(ctx context.Context, name string) (*domain.EmailTemplate, error)
	GetTenantSettings(ctx context.Context) (domain.TenantSettings, error)
}

// Data is what one mail is about. Everything in it reaches the template as Auth0's variables.
type Data struct {
	User   *domain.User
	Client *domain.Client // the application the user came from; nil when unknown
	// URL is the link the mail carries (a ticket), and Lifetime how long it lives.
	URL      string
	Lifetime time.Duration
	// Extra adds template-specific variables (user.source_ip for blocked_account, inviter and
	// organization for user_invitation); a map under "user" is merged into the user's variables.
	Extra map[string]any
}

// Renderer turns a template and Data into a finished message for the outbox.
type Renderer struct {
	src    Source
	issuer string
}

// New returns a Renderer reading templates from src, for the tenant at issuer.
func New(src Source, issuer string) *Renderer { return &Renderer{src: src, issuer: issuer} }

// Template returns the tenant's template of that name, or the built-in default when it has none.
func (r *Renderer) Template(ctx context.Context, name string) (*domain.EmailTemplate, error) {
	t, err := r.src.GetEmailTemplate(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Default(name)
	}
	if err != nil {
		return nil, fmt.Errorf("mailtemplate: %s: %w", name, err)
	}
	return t, nil
}

// Render renders t for d into a message to d.User.Email, of kind t.Template. The HTML part sees
// every value HTML-escaped (a user's name cannot add markup to a mail; `escape` does not escape
// twice); the subject and the text part see them as they are, and the subject's line breaks
// become spaces.
func (r *Renderer) Render(ctx context.Context, t *domain.EmailTemplate, d Data) (*domain.OutboundEmail, error) {
	settings, err := r.src.GetTenantSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailtemplate: tenant settings: %w", err)
	}
	vars := r.variables(settings, d)
	subject, err := renderPart(t.Subject, vars)
	if err != nil {
		return nil, fmt.Errorf("mailtemplate: %s subject: %w", t.Template, err)
	}
	body, err := renderPart(t.Body, escapeValues(vars).(map[string]any))
	if err != nil {
		return nil, fmt.Errorf("mailtemplate: %s body: %w", t.Template, err)
	}
	m := &domain.OutboundEmail{To: d.User.Email, From: t.From, Subject: oneLine(subject), HTML: body, Kind: t.Template,
		UserID: d.User.UserID}
	if d.Client != nil {
		m.ClientID = d.Client.ClientID
	}
	if text := defaultText(t); text != "" {
		if m.Text, err = renderPart(text, vars); err != nil {
			return nil, fmt.Errorf("mailtemplate: %s text: %w", t.Template, err)
		}
	}
	return m, m.Validate()
}

// RenderOrDefault renders t for d; when a tenant's template does not render for this user (its
// limits can depend on the user's values, which Check could not see), it renders the built-in
// template of that name instead, keeping t's sender, and returns the tenant template's error as
// fellBack for the caller to log. A mail a user is owed is never lost to a template.
func (r *Renderer) RenderOrDefault(ctx context.Context, t *domain.EmailTemplate, d Data) (m *domain.OutboundEmail, fellBack, err error) {
	m, err = r.Render(ctx, t, d)
	if err == nil {
		return m, nil, nil
	}
	def, derr := Default(t.Template)
	if derr != nil || (def.Body == t.Body && def.Subject == t.Subject) {
		return nil, nil, err
	}
	def.From = t.From
	m, derr = r.Render(ctx, def, d)
	if derr != nil {
		return nil, nil, derr
	}
	return m, err, nil
}

func renderPart(src string, vars map[string]any) (string, error) {
	r := newRun(RenderDeadline)
	root, err := r.compile(src)
	if err != nil {
		return "", err
	}
	return r.execute(root, copyMap(vars))
}

// variables are Auth0's email template variables.
func (r *Renderer) variables(s domain.TenantSettings, d Data) map[string]any {
	u := d.User
	user := map[string]any{
		"user_id": u.UserID, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name,
		"nickname": u.Nickname, "given_name": u.GivenName, "family_name": u.FamilyName, "picture": u.Picture,
		"username": u.Username, "phone_number": u.PhoneNumber, "user_metadata": orEmpty(u.UserMetadata),
		"app_metadata": orEmpty(u.AppMetadata), "source_ip": "", "city": "", "country": "",
	}
	app := map[string]any{"name": "", "clientID": "", "clientMetadata": map[string]any{}, "callback_domain": ""}
	if c := d.Client; c != nil {
		meta := map[string]any{}
		for k, v := range c.ClientMetadata {
			meta[k] = v
		}
		app["name"], app["clientID"], app["clientMetadata"] = c.Name, c.ClientID, meta
		if len(c.Callbacks) > 0 {
			if cu, err := url.Parse(c.Callbacks[0]); err == nil {
				app["callback_domain"] = cu.Scheme + "://" + cu.Host
			}
		}
	}
	conn := u.Connection
	if conn == "" {
		conn = domain.DefaultConnection
	}
	tenant := ""
	if iu, err := url.Parse(r.issuer); err == nil {
		tenant = iu.Hostname()
	}
	friendly := s.FriendlyName
	if friendly == "" {
		friendly = "Gatehouse"
	}
	vars := map[string]any{
		"user": user, "application": app, "connection": map[string]any{"name": conn},
		"tenant": tenant, "friendly_name": friendly, "support_email": s.SupportEmail, "support_url": "",
		"url": d.URL, "url_lifetime": HumanDuration(d.Lifetime), "request_language": "en",
		"inviter": map[string]any{"name": ""}, "organization": map[string]any{"id": "", "name": "", "display_name": "", "metadata": map[string]any{}},
	}
	for k, v := range d.Extra {
		if m, ok := v.(map[string]any); ok && k == "user" {
			for uk, uv := range m {
				user[uk] = uv
			}
			continue
		}
		vars[k] = v
	}
	return vars
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// escapeValues returns v with every string HTML-escaped, maps and lists copied.
func escapeValues(v any) any {
	switch v := v.(type) {
	case string:
		return html.EscapeString(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = escapeValues(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = escapeValues(x)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = html.EscapeString(x)
		}
		return out
	}
	return v
}

// oneLine makes a rendered subject fit one header line.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' || r == 0 }), " ")
	s = strings.TrimSpace(s)
	if len(s) > 900 {
		s = s[:900]
		for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1] >= 0xC0 {
			s = s[:len(s)-1]
		}
	}
	return s
}

// HumanDuration says a link lifetime in words: "24 hours", "5 days", "30 minutes".
func HumanDuration(d time.Duration) string {
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
