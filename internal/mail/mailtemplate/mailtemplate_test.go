package mailtemplate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

type source struct {
	tpl map[string]*domain.EmailTemplate
}

func (s source) GetEmailTemplate(_ context.Context, name string) (*domain.EmailTemplate, error) {
	if t, ok := s.tpl[name]; ok {
		return t, nil
	}
	return nil, store.ErrNotFound
}

func (source) GetTenantSettings(context.Context) (domain.TenantSettings, error) {
	s := domain.DefaultTenantSettings()
	s.FriendlyName, s.SupportEmail = "Acme", "help@acme.test"
	return s, nil
}

func tpl(body string) *domain.EmailTemplate {
	return &domain.EmailTemplate{Template: domain.TemplateVerifyEmail, Syntax: "liquid", Subject: "Hi", Body: body, Enabled: true}
}

func render(t *testing.T, body string, u *domain.User) (*domain.OutboundEmail, error) {
	t.Helper()
	if u == nil {
		u = &domain.User{UserID: "auth0|1", Email: "jane@example.com", Name: "Jane"}
	}
	r := mailtemplate.New(source{}, "https://id.acme.test/")
	return r.Render(context.Background(), tpl(body), mailtemplate.Data{User: u, URL: "https://id.acme.test/u/email-verification?ticket=abc", Lifetime: time.Hour})
}

// Every built-in template renders, passes Check, and carries the link and the tenant's name.
func TestDefaults(t *testing.T) {
	r := mailtemplate.New(source{}, "https://id.acme.test/")
	for _, name := range domain.EmailTemplateNames {
		d, err := r.Template(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if err := mailtemplate.Check(d); err != nil {
			t.Fatalf("%s: built-in template fails Check: %v", name, err)
		}
		m, err := r.Render(context.Background(), d, mailtemplate.Data{User: &domain.User{UserID: "auth0|1", Email: "jane@example.com", Name: "Jane"},
			Client: &domain.Client{ClientID: "c", Name: "Acme App"}, URL: "https://id.acme.test/x?ticket=abc&y=1", Lifetime: 5 * 24 * time.Hour,
			Extra: map[string]any{"code": "048213"}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Subject == "" || m.Text == "" || !strings.Contains(m.HTML, "Acme") || !strings.Contains(m.Text, "Acme") {
			t.Fatalf("%s: incomplete message: %+v", name, m)
		}
		if name == domain.TemplateMFAOOBCode {
			// The code mail carries a code, not a link.
			if !strings.Contains(m.HTML, ">048213<") || !strings.Contains(m.Text, "048213") || !strings.Contains(m.Subject, "048213") {
				t.Fatalf("%s: code missing:\n%s", name, m.HTML)
			}
		} else if name != domain.TemplateWelcomeEmail {
			if !strings.Contains(m.HTML, "https://id.acme.test/x?ticket=abc&amp;y=1") || !strings.Contains(m.Text, "https://id.acme.test/x?ticket=abc&y=1") {
				t.Fatalf("%s: link missing or badly escaped:\n%s", name, m.HTML)
			}
		}
		if d.Enabled != (name != domain.TemplateWelcomeEmail) {
			t.Fatalf("%s: enabled = %v", name, d.Enabled)
		}
	}
	m, _ := r.Render(context.Background(), must(r.Template(context.Background(), domain.TemplateVerifyEmail)),
		mailtemplate.Data{User: &domain.User{Email: "a@b.test"}, URL: "https://x/", Lifetime: 5 * 24 * time.Hour})
	if !strings.Contains(m.Text, "5 days") || m.Subject != "Verify your email address" {
		t.Fatalf("verify mail: %q / %s", m.Subject, m.Text)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Auth0's variables and filters render; values are escaped once in HTML, raw in the subject.
func TestVariablesAndEscaping(t *testing.T) {
	u := &domain.User{UserID: "auth0|1", Email: "jane@example.com", Name: `<b>Jane</b> & "co"`, UserMetadata: map[string]any{"plan": "pro"}}
	m, err := render(t, `{{ user.name }}|{{ user.name | escape }}|{{ user.email | upcase }}|{{ user.user_metadata.plan }}|{{ tenant }}|{{ friendly_name }}|{{ url }}|{% for i in (1..3) %}{{ i }}{% endfor %}`, u)
	if err != nil {
		t.Fatal(err)
	}
	want := `&lt;b&gt;Jane&lt;/b&gt; &amp; &#34;co&#34;|&lt;b&gt;Jane&lt;/b&gt; &amp; &#34;co&#34;|JANE@EXAMPLE.COM|pro|id.acme.test|Acme|https://id.acme.test/u/email-verification?ticket=abc|123`
	if m.HTML != want {
		t.Fatalf("html =\n%s\nwant\n%s", m.HTML, want)
	}
	r := mailtemplate.New(source{}, "https://id.acme.test/")
	tp := tpl("x")
	tp.Subject = "Hello {{ user.name }}"
	m, err = r.Render(context.Background(), tp, mailtemplate.Data{User: &domain.User{Email: "a@b.test", Name: "Eve\r\nBcc: victim@x.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || m.Subject != "Hello Eve Bcc: victim@x.test" {
		t.Fatalf("subject = %q", m.Subject)
	}
}

// Liquid that loops, explodes or reaches for files is refused, at save time by Check and when
// rendering, quickly.
func TestBoundedLiquid(t *testing.T) {
	cases := map[string]string{
		"endless loop":       `{% for i in (1..1000000000) %}{% endfor %}`,
		"nested loops":       `{% for i in (1..5000) %}{% for j in (1..5000) %}{% endfor %}{% endfor %}`,
		"doubling":           strings.Repeat(`{% assign s = s | append: s %}`, 1) + `{% assign s = "xxxxxxxxxxxxxxxx" %}` + strings.Repeat(`{% assign s = s | append: s %}`, 40),
		"join bomb":          `{% assign a = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" | split: "" %}{% capture big %}{% for i in (1..2000) %}yyyyyyyyyyyyyyyyyyyy{% endfor %}{% endcapture %}{{ a | join: big }}`,
		"replace bomb":       `{% capture big %}{% for i in (1..2000) %}yyyyyyyyyyyyyyyyyyyy{% endfor %}{% endcapture %}{{ big | replace: "", big }}`,
		"capture bomb":       `{% capture big %}{% for i in (1..9000) %}yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy{% endfor %}{% endcapture %}`,
		"output bomb":        `{% for i in (1..9999) %}` + strings.Repeat("z", 100) + `{% endfor %}`,
		"include":            `{% include "/etc/passwd" %}`,
		"tablerow":           `{% tablerow i in (1..3) %}{{ i }}{% endtablerow %}`,
		"range outside for":  `{{ (1..1000000000) | join: "," }}`,
		"range in assign":    `{% assign r = (1..1000000000) %}{% for i in r %}{% endfor %}`,
		"range with filter":  `{% for i in (1..1000000000) | reverse %}{% endfor %}`,
		"range nested":       `{% if true %}{% for x in a %}{% else %}{{ (1..1000000000) | size }}{% endfor %}{% endif %}`,
		"range in condition": `{% if (1..1000000000) contains 5 %}yes{% endif %}`,
		"unclosed tag":       `{% if user.email %}`,
		"many small assigns": strings.Repeat(`{% assign x = y | append: "`+strings.Repeat("q", 200)+`" %}{% assign y = x | append: x %}`, 400),
	}
	for name, body := range cases {
		start := time.Now()
		err := mailtemplate.Check(tpl(body))
		if err == nil || domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%s: Check = %v, want an invalid-body error", name, err)
		} else if !strings.Contains(err.Error(), "body") {
			t.Errorf("%s: error does not name the body: %v", name, err)
		}
		if _, rerr := render(t, body, nil); rerr == nil {
			t.Errorf("%s: rendered", name)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: refusing took %v", name, d)
		}
	}
	// A range in a string is text, and a bounded loop is fine.
	if err := mailtemplate.Check(tpl(`{{ "a..b" }}{% for i in (1..10) %}{% if i == 3 %}{% break %}{% endif %}{{ forloop.index }}{% else %}none{% endfor %}`)); err != nil {
		t.Fatal(err)
	}
	m, err := render(t, `{% for i in (1..10) limit: 4 offset: 1 %}{% if i == 3 %}{% continue %}{% endif %}{{ i }}{% cycle "a", "b" %}{% endfor %}{% for x in empty %}{% else %}none{% endfor %}`, nil)
	if err != nil || m.HTML != "2a4b5a"+"none" {
		t.Fatalf("loop semantics: %q, %v", m.HTML, err)
	}
	_, err = render(t, `{% for i in (1..1000000000) %}{% endfor %}`, nil)
	if !errors.Is(err, mailtemplate.ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
}

// Header injection and oversized fields are refused before any Liquid runs.
func TestCheckFields(t *testing.T) {
	for name, mod := range map[string]func(*domain.EmailTemplate){
		"subject CRLF": func(t *domain.EmailTemplate) { t.Subject = "Hi\r\nBcc: victim@x.test" },
		"subject LF":   func(t *domain.EmailTemplate) { t.Subject = "Hi\nBcc: victim@x.test" },
		"from CRLF":    func(t *domain.EmailTemplate) { t.From = "a@b.test\r\nBcc: victim@x.test" },
		"from two":     func(t *domain.EmailTemplate) { t.From = "a@b.test, c@d.test" },
		"oversized":    func(t *domain.EmailTemplate) { t.Body = strings.Repeat("x", domain.MaxEmailTemplateBody+1) },
		"syntax":       func(t *domain.EmailTemplate) { t.Syntax = "handlebars" },
		"name":         func(t *domain.EmailTemplate) { t.Template = "bogus" },
		"resultUrl":    func(t *domain.EmailTemplate) { t.ResultURL = "javascript:alert(1)" },
		"lifetime":     func(t *domain.EmailTemplate) { l := int64(-1); t.URLLifetimeInSeconds = &l },
		"subject liquid": func(t *domain.EmailTemplate) {
			t.Subject = `{% capture x %}a{% endcapture %}{{ "a` + "\u2028" + `" }}{% if %}`
		},
	} {
		tp := tpl("<p>ok</p>")
		mod(tp)
		if err := mailtemplate.Check(tp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := tpl("<p>{{ user.email }}</p>")
	ok.From, ok.Subject = "Acme <no-reply@acme.test>", "Welcome {{ user.name }}"
	if err := mailtemplate.Check(ok); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRenderVerifyEmail renders the built-in verification mail (subject, HTML and text),
// each part compiled afresh in its own sandbox as every mail is.
func BenchmarkRenderVerifyEmail(b *testing.B) {
	r := mailtemplate.New(source{}, "https://id.acme.test/")
	tp, err := r.Template(context.Background(), domain.TemplateVerifyEmail)
	if err != nil {
		b.Fatal(err)
	}
	d := mailtemplate.Data{User: &domain.User{UserID: "auth0|1", Email: "jane@example.com", Name: "Jane"},
		URL: "https://id.acme.test/u/email-verification?ticket=abc", Lifetime: 5 * 24 * time.Hour}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), tp, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefuseEndlessLoop is what a template that loops forever costs before it is refused.
func BenchmarkRefuseEndlessLoop(b *testing.B) {
	t := tpl(`{% for i in (1..1000000000) %}{% assign x = i | plus: 1 %}{% endfor %}`)
	for b.Loop() {
		if err := mailtemplate.Check(t); err == nil {
			b.Fatal("accepted")
		}
	}
}

// A template can pass Check with the sample user and still exceed the limits with a real user's
// values: the mail then goes out with the built-in template, and the caller hears why.
func TestRenderOrDefault(t *testing.T) {
	loop := `{% for a in user.user_metadata.items %}{% for b in user.user_metadata.items %}{% for c in user.user_metadata.items %}{% endfor %}{% endfor %}{% endfor %}<p>{{ url }}</p>`
	tp := tpl(loop)
	tp.From = "Acme <hello@acme.test>"
	if err := mailtemplate.Check(tp); err != nil {
		t.Fatalf("Check: %v", err)
	}
	items := make([]any, 30)
	for i := range items {
		items[i] = i
	}
	u := &domain.User{UserID: "auth0|1", Email: "jane@example.com", UserMetadata: map[string]any{"items": items}}
	r := mailtemplate.New(source{}, "https://id.acme.test/")
	d := mailtemplate.Data{User: u, URL: "https://id.acme.test/u/email-verification?ticket=abc", Lifetime: time.Hour}
	if _, err := r.Render(context.Background(), tp, d); !errors.Is(err, mailtemplate.ErrLimit) {
		t.Fatalf("Render: %v, want ErrLimit", err)
	}
	m, fellBack, err := r.RenderOrDefault(context.Background(), tp, d)
	if err != nil || !errors.Is(fellBack, mailtemplate.ErrLimit) {
		t.Fatalf("RenderOrDefault: %v, fell back because %v", err, fellBack)
	}
	if m.Subject != "Verify your email address" || m.From != "Acme <hello@acme.test>" || !strings.Contains(m.HTML, "ticket=abc") {
		t.Fatalf("fallback message: %+v", m)
	}
}
