package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// appendLog writes one event to the tenant log, as the audit writer would.
func appendLog(t *testing.T, n *node, e domain.LogEvent) {
	t.Helper()
	if e.LogID == "" {
		e.LogID = fmt.Sprintf("9%023d", time.Now().UnixNano())
	}
	if err := n.Store.AppendLog(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
}

// The tenant log in the dashboard: filtered by type, paged, every field inert, the detail view, the
// rows the live script fetches; the home page's chart counts the last day's sign-ins and failures.
func TestDashboardMonitoring(t *testing.T) {
	n := startNode(t)
	now := time.Now().UTC()
	const markup = `<script>alert("log")</script>`
	appendLog(t, n, domain.LogEvent{LogID: "90000000000000000000000001", Date: now.Add(-30 * time.Minute), Type: "fp",
		Description: "Wrong email or password. " + markup, UserName: `victim<img src=x onerror=alert(1)>@example.com`,
		UserID: "auth0|evil\"><b>", ClientName: "App " + markup, IP: "203.0.113.9", UserAgent: markup})
	for i := 0; i < 3; i++ {
		appendLog(t, n, domain.LogEvent{LogID: fmt.Sprintf("9000000000000000000000010%d", i), Date: now.Add(-time.Duration(i+1) * time.Hour),
			Type: "s", Description: "Successful login", UserID: "auth0|ok", UserName: "ok@example.com"})
	}
	appendLog(t, n, domain.LogEvent{LogID: "90000000000000000000000200", Date: now.Add(-30 * time.Hour), Type: "s", Description: "yesterday"})

	admin, _ := dashboardAdmin(t, n)
	base := n.issuer + "admin/logs"
	resp, page := get(t, admin, base)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Failed Login (Incorrect Password)") || !strings.Contains(page, `data-live="/admin/logs?partial=rows"`) {
		t.Fatalf("log page: %d\n%s", resp.StatusCode, page)
	}
	for _, raw := range []string{"<script>alert", "<img src=x", `"><b>`} {
		if strings.Contains(page, raw) {
			t.Errorf("the log page carries %q unescaped", raw)
		}
	}
	if !strings.Contains(page, "victim&lt;img src=x onerror=alert(1)&gt;@example.com") {
		t.Errorf("the user name is not shown as text:\n%s", page)
	}

	// The type filter, with Auth0's codes under readable names.
	_, page = get(t, admin, base+"?type=fp")
	if !strings.Contains(page, `<option value="fp" selected>Failed Login (Incorrect Password) (fp)</option>`) || strings.Contains(page, "Successful login") ||
		!strings.Contains(page, "1–1 of 1") {
		t.Errorf("filtered by fp:\n%s", page)
	}
	if _, page = get(t, admin, base+"?type=s"); strings.Count(page, "<tr data-id=") != 5 || strings.Contains(page, "Wrong email") {
		t.Errorf("filtered by s: %d rows", strings.Count(page, "<tr data-id="))
	}
	// A filter value the API refuses: its message, an empty list.
	if resp, page = get(t, admin, base+"?type=s*"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "use field:value") {
		t.Errorf("a wildcard filter: %d\n%s", resp.StatusCode, page)
	}

	// The live script's rows: the table body only, escaped the same way.
	resp, rows := get(t, admin, base+"?partial=rows&type=fp")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(rows, `<tr data-id="90000000000000000000000001">`) || strings.Contains(rows, "<html") || strings.Contains(rows, "<script>") {
		t.Errorf("live rows: %d\n%s", resp.StatusCode, rows)
	}

	// The detail view: every field and the raw event inert.
	resp, page = get(t, admin, base+"/90000000000000000000000001")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "203.0.113.9") || !strings.Contains(page, "&lt;script&gt;alert(&#34;log&#34;)&lt;/script&gt;") ||
		strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Errorf("log detail: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ = get(t, admin, base+"/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing event: %d", resp.StatusCode)
	}

	// Home: the last day's sign-ins (the three above and the administrator's own) and failures; yesterday's do not count.
	_, page = get(t, admin, n.issuer+"admin/")
	if !strings.Contains(page, `<svg class="chart"`) || !strings.Contains(page, "4 successful") || !strings.Contains(page, "1 failed") {
		t.Errorf("home chart:\n%s", page)
	}

	// A read-only administrator reads the log; a tenant user reaches none of it.
	ro, _ := dashboardViewer(t, n, "viewer@example.com")
	if resp, _ := get(t, ro, base); resp.StatusCode != http.StatusOK {
		t.Errorf("read-only log: %d", resp.StatusCode)
	}
	user := browser(t)
	dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	for _, u := range []string{base, base + "?partial=rows", base + "/90000000000000000000000001"} {
		if resp, body := get(t, user, u); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "203.0.113.9") {
			t.Errorf("GET %s by a tenant user: %d", u, resp.StatusCode)
		}
	}
}
