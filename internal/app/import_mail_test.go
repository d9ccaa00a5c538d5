package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// TestImportCompletionEmail: an import job created without send_completion_email (Auth0's default,
// true) emails the tenant's owner — the dev tenant's Dashboard Admin — through the configured SMTP
// provider once it completes, with the job's summary; one created with send_completion_email=false
// completes without a mail.
func TestImportCompletionEmail(t *testing.T) {
	n := startNode(t)
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	conn, err := n.Store.GetConnectionByName(context.Background(), "Username-Password-Authentication")
	if err != nil {
		t.Fatal(err)
	}
	complete := func(fields map[string]string, file []byte) string {
		t.Helper()
		status, job := importFile(t, m, fields, file)
		if status != http.StatusAccepted {
			t.Fatalf("create the job: %d %v", status, job)
		}
		id, _ := job["id"].(string)
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
			if _, got := m.do("GET", "jobs/"+id, nil); got["status"] == "completed" {
				return id
			} else if time.Now().After(deadline) {
				t.Fatalf("job %s: %v", id, got)
			}
		}
	}
	file, _ := json.Marshal([]map[string]any{{"email": "mailed-1@example.com"}, {"email": "mailed-2@example.com"}, {"email": "bad"}})
	id := complete(map[string]string{"connection_id": conn.ID}, file)
	msgs := waitForMail(t, n, srv, 1)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.To != devtenant.DashboardEmail || !strings.Contains(got.Subject, id) ||
		!strings.Contains(got.Subject, "2 inserted, 0 updated, 1 failed") || !strings.Contains(got.Text, "/api/v2/jobs/"+id+"/errors") {
		t.Fatalf("the completion mail: to %s, %q\n%s", got.To, got.Subject, got.Text)
	}

	file, _ = json.Marshal([]map[string]any{{"email": "quiet@example.com"}})
	complete(map[string]string{"connection_id": conn.ID, "send_completion_email": "false"}, file)
	for range 20 {
		if _, err := n.Mail.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Messages(); len(got) != 1 {
		t.Fatalf("send_completion_email=false: %d messages, want still 1", len(got))
	}
}
