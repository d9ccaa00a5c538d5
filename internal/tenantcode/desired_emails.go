package tenantcode

import (
	"crypto/subtle"
	"path"
	"reflect"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
)

func (b *builder) emails() error {
	if ok, err := b.dirPresent(dirEmails); err != nil || !ok {
		return err
	}
	names, err := b.src.list(dirEmails, ".json")
	if err != nil {
		return err
	}
	for _, n := range names {
		file := dirEmails + "/" + n
		doc, err := b.src.readJSON(file)
		if err != nil {
			b.fail(err)
			continue
		}
		if n == providerFile {
			b.provider(file, doc)
			continue
		}
		b.template(file, doc)
	}
	return nil
}

func (b *builder) provider(file string, doc map[string]any) {
	if len(doc) == 0 {
		return // the Deploy CLI writes {} for a tenant without a provider
	}
	b.d.managed[KindEmailProvider] = true
	b.warnings = append(b.warnings, ignored(file, doc, jsonNames(reflect.TypeOf(domain.EmailProvider{}), nil))...)
	var pass *string
	if cr, ok := doc["credentials"].(map[string]any); ok {
		if p, ok := cr["smtp_pass"].(string); ok {
			pass = &p
		}
		delete(cr, "smtp_pass")
	}
	old := b.cur.provider
	base := &domain.EmailProvider{}
	if old != nil {
		base = old
	}
	p := &domain.EmailProvider{}
	if err := overlay(file, base, doc, p); err != nil {
		b.fail(err)
		return
	}
	if old != nil {
		p.PasswordSealed, p.UpdatedAt = old.PasswordSealed, old.UpdatedAt
	}
	if pass != nil {
		same := false
		if old != nil && len(old.PasswordSealed) > 0 && b.o.Sealer != nil {
			if was, err := b.o.Sealer.Open(old.PasswordSealed); err == nil {
				same = subtle.ConstantTimeCompare([]byte(was), []byte(*pass)) == 1
			}
		}
		if !same {
			if b.o.Sealer == nil {
				b.fail(fileErr(file, "credentials.smtp_pass: no master key to seal it with"))
				return
			}
			p.Password, p.PasswordSealed = *pass, nil
			b.setSecret(KindEmailProvider, "provider", "credentials.smtp_pass")
		}
	}
	if p.Credentials.SMTPUser == "" {
		p.Password, p.PasswordSealed = "", nil
	}
	if err := p.Validate(); err != nil {
		b.fail(&FileError{File: file, Err: err})
		return
	}
	b.d.provider = p
}

func (b *builder) template(file string, doc map[string]any) {
	b.d.managed[KindEmailTemplate] = true
	b.warnings = append(b.warnings, ignored(file, doc, jsonNames(reflect.TypeOf(domain.EmailTemplate{}), nil))...)
	name, _ := str(doc, "template")
	if !domain.IsEmailTemplateName(name) {
		b.fail(fileErr(file, "template: %q is not a template Gatehouse sends (%s)", name, strings.Join(domain.EmailTemplateNames, ", ")))
		return
	}
	if prev := b.d.template(name); prev != nil && b.cur.template(name) != prev {
		b.fail(fileErr(file, "template %q is defined twice", name))
		return
	}
	htmlRef, _ := str(doc, "body")
	if htmlRef == "" && b.src.virtual != nil {
		b.fail(fileErr(file, "body: must name the template's HTML file (./emailTemplates/%s.html)", name))
		return
	}
	if htmlRef == "" {
		htmlRef = strings.TrimSuffix(path.Base(file), ".json") + ".html"
	}
	sideBase := dirEmails // a template's file is beside it in emails/, or relative to a tenant.yaml
	if b.src.virtual != nil {
		sideBase = ""
	}
	p, err := b.codePath(file, "body", htmlRef, sideBase)
	if err != nil {
		b.fail(err)
		return
	}
	body, err := b.src.read(p, false)
	if err != nil {
		b.fail(err)
		return
	}
	delete(doc, "body")
	old := b.cur.template(name)
	base := &domain.EmailTemplate{Template: name, Syntax: domain.EmailTemplateSyntax}
	if old != nil {
		base = old
	}
	t := &domain.EmailTemplate{}
	if err := overlay(file, base, doc, t); err != nil {
		b.fail(err)
		return
	}
	t.Body = body
	if old != nil {
		t.UpdatedAt = old.UpdatedAt
	}
	if err := mailtemplate.Check(t); err != nil {
		b.fail(&FileError{File: file, Err: err})
		return
	}
	var out []*domain.EmailTemplate
	for _, x := range b.d.templates {
		if x.Template != name {
			out = append(out, x)
		}
	}
	b.d.templates = append(out, t)
}
