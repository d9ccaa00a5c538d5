package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func testEmailTemplates(t *testing.T, s store.Store) {
	_, err := s.GetEmailTemplate(ctx, domain.TemplateVerifyEmail)
	wantErr(t, err, store.ErrNotFound)
	life := int64(3600)
	tpl := &domain.EmailTemplate{Template: domain.TemplateVerifyEmail, Body: "<p>{{ url }}</p>", From: "Acme <no-reply@acme.test>",
		Subject: "Verify {{ user.email }}", Syntax: "liquid", ResultURL: "https://app.acme.test/verified",
		URLLifetimeInSeconds: &life, IncludeEmailInRedirect: true, Enabled: true}
	must(t, s.CreateEmailTemplate(ctx, tpl))
	again := *tpl
	wantErr(t, s.CreateEmailTemplate(ctx, &again), store.ErrConflict)
	got, err := s.GetEmailTemplate(ctx, domain.TemplateVerifyEmail)
	must(t, err)
	if got.Body != tpl.Body || got.From != tpl.From || got.Subject != tpl.Subject || got.ResultURL != tpl.ResultURL ||
		got.URLLifetimeInSeconds == nil || *got.URLLifetimeInSeconds != 3600 || !got.IncludeEmailInRedirect || !got.Enabled ||
		got.Template != domain.TemplateVerifyEmail || got.UpdatedAt.IsZero() {
		t.Fatalf("template = %+v, want %+v", got, tpl)
	}
	got.Enabled, got.Body = false, "<p>changed</p>"
	must(t, s.PutEmailTemplate(ctx, got))
	got, err = s.GetEmailTemplate(ctx, domain.TemplateVerifyEmail)
	must(t, err)
	if got.Enabled || got.Body != "<p>changed</p>" {
		t.Fatalf("after put: %+v", got)
	}
	// Put creates a name that has no row yet; other names stay unset.
	must(t, s.PutEmailTemplate(ctx, &domain.EmailTemplate{Template: domain.TemplateWelcomeEmail, Syntax: "liquid", Body: "hi"}))
	if _, err := s.GetEmailTemplate(ctx, domain.TemplateWelcomeEmail); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetEmailTemplate(ctx, domain.TemplateResetEmail)
	wantErr(t, err, store.ErrNotFound)
}

func testJobs(t *testing.T, s store.Store) {
	_, err := s.GetJob(ctx, "job_missing")
	wantErr(t, err, store.ErrNotFound)
	u := MustUser(t, s, "job@example.com")
	m := newMail("job@example.com")
	must(t, s.EnqueueEmail(ctx, m))
	j := &domain.Job{Type: domain.JobVerificationEmail, Status: domain.JobPending, EmailID: m.ID, UserID: u.UserID, ClientID: "c1"}
	must(t, s.CreateJob(ctx, j))
	if j.ID == "" || j.CreatedAt.IsZero() {
		t.Fatalf("job not filled: %+v", j)
	}
	got, err := s.GetJob(ctx, j.ID)
	must(t, err)
	if got.ID != j.ID || got.Type != domain.JobVerificationEmail || got.EmailID != m.ID || got.UserID != u.UserID ||
		got.ClientID != "c1" || !got.CreatedAt.Equal(j.CreatedAt) {
		t.Fatalf("job = %+v, want %+v", got, j)
	}
	// A job is kept for domain.JobRetention, then swept with what has expired.
	if _, err := s.DeleteExpired(ctx, j.CreatedAt.Add(domain.JobRetention-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetJob(ctx, j.ID); err != nil {
		t.Fatalf("swept too early: %v", err)
	}
	if _, err := s.DeleteExpired(ctx, j.CreatedAt.Add(domain.JobRetention+time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetJob(ctx, j.ID)
	wantErr(t, err, store.ErrNotFound)
}
