package mgmt_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestPasswordChangeTicket(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := &domain.User{UserID: domain.NewUserID(), Email: "ticket@example.com", Connection: domain.DefaultConnection}
	domain.ApplyUserDefaults(u)
	if err := e.st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}

	r := e.must(t, 201, "POST", "/tickets/password-change", map[string]any{"user_id": u.UserID,
		"result_url": "https://app.example.com/done", "ttl_sec": 3600, "mark_email_as_verified": true, "includeEmailInRedirect": true})
	link, _ := r.obj(t)["ticket"].(string)
	lu, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, issuer) || lu.Path != domain.ResetPasswordPath || len(lu.Query().Get("ticket")) != 43 {
		t.Fatalf("ticket = %q", link)
	}
	tk, err := e.st.GetTicket(ctx, domain.HashSecret(lu.Query().Get("ticket")))
	if err != nil {
		t.Fatalf("the ticket is not stored by its hash: %v", err)
	}
	if tk.UserID != u.UserID || tk.Kind != domain.TicketPasswordReset || !tk.MarkEmailVerified || !tk.IncludeEmail ||
		tk.ResultURL != "https://app.example.com/done" || tk.ExpiresAt.Sub(tk.CreatedAt).Round(time.Second) != time.Hour {
		t.Fatalf("ticket = %+v", tk)
	}

	// By email and connection, with Auth0's default lifetime of five days.
	r = e.must(t, 201, "POST", "/tickets/password-change", map[string]any{"email": "Ticket@Example.com", "connection_id": domain.DefaultConnection})
	lu, _ = url.Parse(r.obj(t)["ticket"].(string))
	tk, err = e.st.GetTicket(ctx, domain.HashSecret(lu.Query().Get("ticket")))
	if err != nil || tk.ExpiresAt.Sub(tk.CreatedAt).Round(time.Second) != domain.DefaultTicketLifetime {
		t.Fatalf("ticket by email = %+v, %v", tk, err)
	}

	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"nobody named", map[string]any{}, 400, "invalid_body"},
		{"user and email", map[string]any{"user_id": u.UserID, "email": u.Email, "connection_id": domain.DefaultConnection}, 400, "invalid_body"},
		{"email without connection", map[string]any{"email": u.Email}, 400, "invalid_body"},
		{"unknown user", map[string]any{"user_id": "auth0|nobody"}, 404, "inexistent_user"},
		{"unknown email", map[string]any{"email": "nobody@example.com", "connection_id": domain.DefaultConnection}, 404, "inexistent_user"},
		{"unknown connection", map[string]any{"email": u.Email, "connection_id": "con_nope"}, 404, "inexistent_connection"},
		{"result_url and client_id", map[string]any{"user_id": u.UserID, "result_url": "https://a.example/", "client_id": "x"}, 400, "invalid_body"},
		{"result_url not http", map[string]any{"user_id": u.UserID, "result_url": "javascript:alert(1)"}, 400, "invalid_body"},
		{"ttl too long", map[string]any{"user_id": u.UserID, "ttl_sec": 31 * 24 * 3600}, 400, "invalid_body"},
		{"ttl negative", map[string]any{"user_id": u.UserID, "ttl_sec": -1}, 400, "invalid_body"},
		{"unknown client", map[string]any{"user_id": u.UserID, "client_id": "nope"}, 404, "inexistent_client"},
		{"new_password (removed by Auth0)", map[string]any{"user_id": u.UserID, "new_password": "x"}, 400, "invalid_body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.call(t, "admin", "POST", "/tickets/password-change", tc.body), tc.status, tc.code, "", false)
		})
	}
	wantError(t, e.call(t, "reader", "POST", "/tickets/password-change", map[string]any{"user_id": u.UserID}), 403, "insufficient_scope", "", false)
}
