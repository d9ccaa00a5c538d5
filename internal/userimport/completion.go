package userimport

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// KindImportCompleted is the outbox kind of an import job's completion email.
const KindImportCompleted = "users_import_completed"

// queueCompletion queues, through tx (the transaction that marks job completed, so the mail exists
// if and only if the completion does), the email Auth0 sends the tenant's owners when an import job
// finishes, unless the job was created with send_completion_email false. It reports how many were
// queued.
func (r *Runner) queueCompletion(ctx context.Context, tx store.Store, job *domain.Job) (int, error) {
	if r.Owners == nil || (job.SendCompletionEmail != nil && !*job.SendCompletionEmail) {
		return 0, nil
	}
	to, err := r.Owners(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("completion email: %w", err)
	}
	if len(to) == 0 {
		return 0, nil
	}
	t, err := tx.GetTenantSettings(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, addr := range to {
		if domain.CheckEmailAddress(addr) != nil {
			continue // an address no mail can go to must not hold the import back
		}
		m := completionMail(job, t.FriendlyName, addr)
		if err := tx.EnqueueEmail(ctx, m); err != nil {
			return n, fmt.Errorf("completion email: %w", err)
		}
		n++
	}
	return n, nil
}

// completionMail is the notice of a completed import: which job, into which connection, and its
// summary. It names no imported user: the failed rows are read from the job's errors.
func completionMail(job *domain.Job, tenant, to string) *domain.OutboundEmail {
	s := domain.JobSummary{}
	if job.Summary != nil {
		s = *job.Summary
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The users import job %s into the connection %q of the tenant %q has completed.\n\n", job.ID, job.Connection, tenant)
	if job.ExternalID != "" {
		fmt.Fprintf(&b, "External id: %s\n", job.ExternalID)
	}
	fmt.Fprintf(&b, "Inserted: %d\nUpdated: %d\nFailed: %d\nTotal: %d\n", s.Inserted, s.Updated, s.Failed, s.Total)
	if s.Failed > 0 {
		fmt.Fprintf(&b, "\nThe failed rows and why: GET /api/v2/jobs/%s/errors (kept for 7 days).\n", job.ID)
	}
	b.WriteString("\nYou receive this because you administer this tenant. Create the job with send_completion_email=false for no email.\n")
	return &domain.OutboundEmail{To: to, Subject: fmt.Sprintf("Users import job %s completed: %d inserted, %d updated, %d failed",
		job.ID, s.Inserted, s.Updated, s.Failed), Text: b.String(), Kind: KindImportCompleted}
}
