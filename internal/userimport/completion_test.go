package userimport_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// queued returns the messages in the outbox.
func queued(t *testing.T, st store.Store) []*domain.OutboundEmail {
	t.Helper()
	now := time.Now()
	list, err := st.ClaimEmails(context.Background(), "test", now.Add(time.Hour), now.Add(2*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestCompletionEmail: a job created with send_completion_email queues, in the transaction that
// completes it, one email per tenant owner (the unblocked Dashboard Admins, else the support
// address) with the job's summary; a job created without it, none; the worker is woken once.
func TestCompletionEmail(t *testing.T) {
	for name, open := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			conn := &domain.Connection{ID: domain.NewConnectionID(), Name: "Legacy-DB", Strategy: domain.StrategyAuth0}
			if err := st.CreateConnection(ctx, conn); err != nil {
				t.Fatal(err)
			}
			kicks := 0
			r := &userimport.Runner{Store: st, Owner: "test", Owners: bootstrap.TenantOwners, KickMail: func() { kicks++ }}
			file, _ := json.Marshal([]map[string]any{{"email": "one@example.com"}, {"email": "not an address"}})
			run := func(mail bool, external string) *domain.Job {
				t.Helper()
				j, err := userimport.Create(ctx, st, time.Now(), userimport.Settings{Connection: conn, SendCompletionEmail: mail, ExternalID: external}, file)
				if err != nil {
					t.Fatal(err)
				}
				if worked, err := r.Step(ctx); err != nil || !worked {
					t.Fatal(worked, err)
				}
				if worked, err := r.Step(ctx); err != nil || worked {
					t.Fatal("a second step found work", worked, err)
				}
				return j
			}

			// No owner at all: the job completes, nobody is mailed.
			run(true, "")
			if got := queued(t, st); len(got) != 0 || kicks != 0 {
				t.Fatalf("without owners: %d queued, %d kicks", len(got), kicks)
			}

			// The support address when no administrator exists.
			settings, err := st.GetTenantSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			settings.SupportEmail = "support@example.com"
			if err := st.PutTenantSettings(ctx, settings); err != nil {
				t.Fatal(err)
			}
			j := run(true, "batch-7")
			got := queued(t, st)
			if len(got) != 1 || got[0].To != "support@example.com" || kicks != 1 {
				t.Fatalf("support address: %+v, %d kicks", got, kicks)
			}
			m := got[0]
			if m.Kind != userimport.KindImportCompleted || !strings.Contains(m.Subject, j.ID) ||
				!strings.Contains(m.Subject, "0 inserted, 0 updated, 2 failed") || !strings.Contains(m.Text, `"Legacy-DB"`) ||
				!strings.Contains(m.Text, "External id: batch-7") || !strings.Contains(m.Text, "/api/v2/jobs/"+j.ID+"/errors") {
				t.Fatalf("the mail: %q\n%s", m.Subject, m.Text)
			}
			if strings.Contains(m.Text, "one@example.com") {
				t.Fatal("the mail names an imported user")
			}

			// Dashboard Admins, the blocked one left out, take the support address's place.
			roles, err := bootstrap.EnsureDashboardRoles(ctx, st, bootstrap.Options{ManagementAudience: "https://t/api/v2/", ManagementScopes: []string{"read:users"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []struct {
				email   string
				blocked bool
			}{{"owner1@example.com", false}, {"owner2@example.com", false}, {"gone@example.com", true}} {
				u := &domain.User{UserID: domain.NewUserID(), Email: a.email, Blocked: a.blocked}
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				if err := st.AssignRolesToUser(ctx, u.UserID, []string{roles.Admin}); err != nil {
					t.Fatal(err)
				}
			}
			file, _ = json.Marshal([]map[string]any{{"email": "two@example.com"}})
			run(true, "")
			var to []string
			for _, m := range queued(t, st) {
				to = append(to, m.To)
				if !strings.Contains(m.Subject, "1 inserted, 0 updated, 0 failed") || strings.Contains(m.Text, "/errors") {
					t.Errorf("the mail: %q\n%s", m.Subject, m.Text)
				}
			}
			if strings.Join(to, ",") != "owner1@example.com,owner2@example.com" && strings.Join(to, ",") != "owner2@example.com,owner1@example.com" {
				t.Fatalf("mailed %v, want the two unblocked administrators", to)
			}
			if kicks != 2 {
				t.Fatalf("%d kicks, want 2", kicks)
			}

			// send_completion_email false: no mail.
			file, _ = json.Marshal([]map[string]any{{"email": "three@example.com"}})
			run(false, "")
			if got := queued(t, st); len(got) != 0 || kicks != 2 {
				t.Fatalf("send_completion_email false: %d queued, %d kicks", len(got), kicks)
			}
		})
	}
}
