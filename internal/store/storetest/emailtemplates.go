package storetest

import (
	"errors"
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

// testJobWork: a job's work is claimed by one owner at a time, saved only by the lease holder,
// claimable again once the lease ran out, never once finished, and swept with its job.
func testJobWork(t *testing.T, s store.Store) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := s.ClaimJobWork(ctx, "n1", now, now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim with nothing to do: %v", err)
	}
	j := &domain.Job{Type: domain.JobUsersImport, Status: domain.JobPending, CreatedAt: now}
	must(t, s.CreateJob(ctx, j))
	must(t, s.CreateJobWork(ctx, &store.JobWork{JobID: j.ID, Payload: []byte(`[{"email":"a@example.com"}]`), State: []byte(`{}`)}))
	w, err := s.ClaimJobWork(ctx, "n1", now, now.Add(time.Minute))
	if err != nil || w.JobID != j.ID || w.Owner != "n1" || string(w.Payload) != `[{"email":"a@example.com"}]` || w.Finished {
		t.Fatalf("claim: %+v %v", w, err)
	}
	if _, err := s.ClaimJobWork(ctx, "n2", now.Add(30*time.Second), now.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a second claim within the lease: %v", err)
	}
	w.State, w.LeaseUntil = []byte(`{"cursor":1}`), now.Add(time.Minute)
	must(t, s.SaveJobWork(ctx, w))
	// The lease runs out: another node takes the work over with its state, and the first can no
	// longer save.
	w2, err := s.ClaimJobWork(ctx, "n2", now.Add(2*time.Minute), now.Add(3*time.Minute))
	if err != nil || w2.Owner != "n2" || string(w2.State) != `{"cursor":1}` {
		t.Fatalf("take over: %+v %v", w2, err)
	}
	if err := s.SaveJobWork(ctx, w); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a save after losing the lease: %v, want ErrConflict", err)
	}
	w2.Finished = true
	must(t, s.SaveJobWork(ctx, w2))
	if _, err := s.ClaimJobWork(ctx, "n3", now.Add(time.Hour), now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim of finished work: %v", err)
	}
	got, err := s.GetJobWork(ctx, j.ID)
	if err != nil || !got.Finished || got.Owner != "n2" {
		t.Fatalf("get: %+v %v", got, err)
	}
	j.Status, j.Summary = domain.JobCompleted, &domain.JobSummary{Inserted: 1, Total: 1}
	must(t, s.UpdateJob(ctx, j))
	if g, err := s.GetJob(ctx, j.ID); err != nil || g.Status != domain.JobCompleted || g.Summary == nil || g.Summary.Inserted != 1 {
		t.Fatalf("updated job: %+v %v", g, err)
	}
	if err := s.UpdateJob(ctx, &domain.Job{ID: "job_missing"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing job: %v", err)
	}
	if _, err := s.DeleteExpired(ctx, now.Add(domain.JobRetention+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetJobWork(ctx, j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("work of a swept job: %v", err)
	}
}
