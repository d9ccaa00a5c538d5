package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// dashboardViewer creates a Dashboard Read-only administrator and signs them in; it returns their
// browser and their CSRF token.
func dashboardViewer(t *testing.T, n *node, email string) (*http.Client, string) {
	t.Helper()
	hash, _ := password.Hasher{P: password.Fast()}.Hash("Read-Only-Pw1")
	if _, err := bootstrap.CreateAdministrator(context.Background(), n.Store, bootstrap.Options{ManagementAudience: n.issuer + mgmt.APIPath,
		ManagementScopes: mgmt.Scopes(), Now: time.Now}, bootstrap.Administrator{Email: email, PasswordHash: hash, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	_, home := dashboardSignIn(t, n, c, email, "Read-Only-Pw1")
	return c, formFields(home).Get("csrf")
}

// dashboardAdmin signs the dev tenant's Dashboard Admin in; it returns their browser and CSRF token.
func dashboardAdmin(t *testing.T, n *node) (*http.Client, string) {
	t.Helper()
	c := browser(t)
	_, home := dashboardSignIn(t, n, c, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	return c, formFields(home).Get("csrf")
}

func mustAction(t *testing.T, n *node, name string) *domain.Action {
	t.Helper()
	list, _, err := n.Store.ListActions(context.Background(), store.ActionFilter{ActionName: name}, store.Page{PerPage: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("action %q: %v %v", name, list, err)
	}
	return list[0]
}

func boundActions(t *testing.T, n *node) []string {
	t.Helper()
	bs, err := n.Store.ListTriggerBindings(context.Background(), domain.TriggerPostLogin)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.DisplayName)
	}
	return names
}

var bindingIDs = regexp.MustCompile(`name="binding" value="([^"]+)"`)

// Actions, through the pages: create, a compile error shown at its line, a paste over the limit,
// deploy, secrets kept write-only, versions and roll back, the Login flow's order; and what a
// read-only administrator, a tenant user and a forged form may do there: nothing.
func TestDashboardActions(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	base := n.issuer + "admin/actions"

	if _, page := get(t, admin, base); !strings.Contains(page, ">"+devtenant.ActionName+"<") || !strings.Contains(page, ">"+devtenant.SyncActionName+"<") || !strings.Contains(page, "1–2 of 2") {
		t.Fatalf("action list:\n%s", page)
	}
	// Without the CSRF token nothing is created.
	if resp, _ := post(t, admin, base+"/new", url.Values{"name": {"Forged"}, "trigger": {"post-login"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create without CSRF: %d", resp.StatusCode)
	}
	// The API's own message for a trigger it does not run.
	if resp, page := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {"X"}, "trigger": {"custom-token-exchange"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "is not a supported trigger") {
		t.Errorf("unsupported trigger: %d\n%s", resp.StatusCode, page)
	}

	// Create: the editor opens on the flow's handler. Markup in the name stays text.
	name := `Audit <img src=x onerror=alert(1)>`
	resp, _ := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {name}, "trigger": {"post-login"}})
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.Path, "/admin/actions/") || loc.Query().Get("created") != "1" {
		t.Fatalf("create: %d %v", resp.StatusCode, loc)
	}
	editor := n.issuer + strings.TrimPrefix(loc.Path, "/")
	_, page := get(t, admin, editor+"?created=1")
	if !strings.Contains(page, "exports.onExecutePostLogin = async (event, api) =&gt; {") || strings.Contains(page, "<img src=x") ||
		!strings.Contains(page, "Audit &lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(page, `<script src="/admin/static/editor.js" defer></script>`) {
		t.Fatalf("editor of a new action:\n%s", page)
	}
	a := mustAction(t, n, name)

	// A syntax error: the draft is saved, not deployed, and the compiler's line is shown.
	broken := "exports.onExecutePostLogin = async (event, api) => {\n  const x = 1;\n  const = 2;\n};\n"
	resp, page = post(t, admin, editor, url.Values{"csrf": {csrf}, "code": {broken}, "op": {"deploy"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Saved as a draft, not deployed.") || !strings.Contains(page, "does not compile: Line 3:") ||
		!strings.Contains(page, `data-error-line="3"`) || !regexp.MustCompile(`<span class="bad"><span class="ln">3</span>\s*const = 2;`).MatchString(page) {
		t.Errorf("deploy of broken code: %d\n%s", resp.StatusCode, page)
	}
	if got := mustAction(t, n, name); got.Code != broken || got.DeployedVersionID != "" {
		t.Errorf("after a refused deploy: code %q, deployed %q", got.Code, got.DeployedVersionID)
	}

	// A huge paste: the API's refusal, nothing changed.
	huge := "// " + strings.Repeat("x", 150*1024) + "\n"
	resp, page = post(t, admin, editor, url.Values{"csrf": {csrf}, "code": {huge}, "op": {"save"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be at most 100 kB") || strings.Contains(page, "Saved as a draft") {
		t.Errorf("a 150 kB paste: %d", resp.StatusCode)
	}
	if got := mustAction(t, n, name); got.Code != broken {
		t.Errorf("a refused paste changed the code")
	}

	// Deploy working code.
	good := "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('https://yourapp.com/audit', event.secrets.LEVEL);\n};\n"
	resp, _ = post(t, admin, editor, url.Values{"csrf": {csrf}, "code": {good}, "op": {"deploy"}})
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc.Query().Get("deployed") != "1" {
		t.Fatalf("deploy: %d %v", resp.StatusCode, loc)
	}
	if _, page = get(t, admin, editor+"?deployed=1"); !strings.Contains(page, "Deployed as version 1.") {
		t.Errorf("after deploy:\n%s", page)
	}

	// Secrets: values go in and never come back out.
	secret := "s3cr3t-<b>value</b>"
	for _, s := range []struct{ name, value string }{{"LEVEL", secret}, {"OTHER", "second-value"}} {
		if resp, _ = post(t, admin, editor+"/secrets", url.Values{"csrf": {csrf}, "op": {"set"}, "name": {s.name}, "value": {s.value}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set secret %s: %d", s.name, resp.StatusCode)
		}
	}
	_, page = get(t, admin, editor)
	if !strings.Contains(page, "<code>LEVEL</code>") || !strings.Contains(page, "<code>OTHER</code>") || strings.Contains(page, "s3cr3t") || strings.Contains(page, "second-value") {
		t.Errorf("secrets on the page:\n%s", page)
	}
	if resp, _ = post(t, admin, editor+"/secrets", url.Values{"csrf": {csrf}, "op": {"remove"}, "name": {"OTHER"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove secret: %d", resp.StatusCode)
	}
	if got := mustAction(t, n, name); len(got.Secrets) != 1 || got.Secrets[0].Name != "LEVEL" || got.Secrets[0].Value != secret {
		t.Errorf("secrets kept: %+v", got.Secrets)
	}
	if resp, page = post(t, admin, editor+"/secrets", url.Values{"csrf": {csrf}, "op": {"set"}, "name": {""}, "value": {"v"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be 1 to 128 characters") {
		t.Errorf("a secret without a name: %d", resp.StatusCode)
	}

	// Versions: deploy again, then roll back to version 1 (a new version 3 with its code).
	if resp, _ = post(t, admin, editor, url.Values{"csrf": {csrf}, "code": {good + "// v2\n"}, "op": {"deploy"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second deploy: %d", resp.StatusCode)
	}
	vs, _, err := n.Store.ListActionVersions(ctx, a.ID, store.Page{PerPage: 10})
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %v %v", vs, err)
	}
	var v1 *domain.ActionVersion
	for _, v := range vs {
		if v.Number == 1 {
			v1 = v
		}
	}
	if _, page = get(t, admin, editor+"/versions"); !strings.Contains(page, "Version 2") || !strings.Contains(page, "Version 1") || !strings.Contains(page, "1–2 of 2") {
		t.Errorf("versions page:\n%s", page)
	}
	if _, page = get(t, admin, editor+"/versions/"+v1.ID); !strings.Contains(page, "Roll back to version 1") {
		t.Errorf("version 1 page:\n%s", page)
	}
	if resp, _ = post(t, admin, editor+"/versions/"+v1.ID+"/deploy", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("roll back: %d", resp.StatusCode)
	}
	got := mustAction(t, n, name)
	dv, err := n.Store.GetActionVersion(ctx, a.ID, got.DeployedVersionID)
	if err != nil || dv.Number != 3 || dv.Code != good {
		t.Errorf("after roll back: %+v %v", dv, err)
	}

	// Flows > Login: add, move up, remove; the order is the API's.
	flow := n.issuer + "admin/flows/login"
	_, page = get(t, admin, flow)
	if !strings.Contains(page, ">"+devtenant.ActionName+"</a>") || !strings.Contains(page, `<option value="`+a.ID+`">`) {
		t.Fatalf("login flow:\n%s", page)
	}
	if resp, _ = post(t, admin, flow, url.Values{"csrf": {csrf}, "op": {"add"}, "action": {a.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add to flow: %d", resp.StatusCode)
	}
	if got := boundActions(t, n); len(got) != 2 || got[0] != devtenant.ActionName || got[1] != name {
		t.Fatalf("after add: %v", got)
	}
	_, page = get(t, admin, flow)
	ids := bindingIDs.FindAllStringSubmatch(page, -1)
	if len(ids) != 2 {
		t.Fatalf("bindings on the page: %v", ids)
	}
	if resp, _ = post(t, admin, flow, url.Values{"csrf": {csrf}, "op": {"up"}, "binding": {ids[1][1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("move up: %d", resp.StatusCode)
	}
	if got := boundActions(t, n); len(got) != 2 || got[0] != name {
		t.Errorf("after move up: %v", got)
	}
	// A stale page's binding: a clear message, nothing changed.
	if resp, page = post(t, admin, flow, url.Values{"csrf": {csrf}, "op": {"remove"}, "binding": {"bnd_gone"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "no longer in the flow") {
		t.Errorf("remove a stale binding: %d", resp.StatusCode)
	}
	// An action never deployed cannot be added: the API says why.
	draft := &domain.Action{ID: domain.NewActionID(), Name: "Draft only", SupportedTriggers: []domain.ActionTrigger{{ID: domain.TriggerPostLogin, Version: "v3"}},
		Code: good, Runtime: "node22", Status: domain.ActionBuilt, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := n.Store.CreateAction(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if resp, page = post(t, admin, flow, url.Values{"csrf": {csrf}, "op": {"add"}, "action": {draft.ID}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "has not been deployed") {
		t.Errorf("add a draft: %d\n%s", resp.StatusCode, page)
	}

	// A read-only administrator sees everything and changes nothing.
	ro, roCSRF := dashboardViewer(t, n, "viewer@example.com")
	for _, u := range []string{base, editor, editor + "/versions", flow, n.issuer + "admin/flows/m2m"} {
		if resp, _ := get(t, ro, u); resp.StatusCode != http.StatusOK {
			t.Errorf("read-only GET %s: %d", u, resp.StatusCode)
		}
	}
	if _, page = get(t, ro, editor); !strings.Contains(page, `disabled>Deploy</button>`) || strings.Contains(page, `name="value"`) {
		t.Errorf("read-only editor offers changes:\n%s", page)
	}
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{editor, url.Values{"code": {"// viewer"}, "op": {"save"}}},
		{editor, url.Values{"code": {good + "// v2\n"}, "op": {"save"}}}, // unchanged code: still the API's answer
		{editor, url.Values{"code": {good}, "op": {"deploy"}}},
		{editor + "/secrets", url.Values{"op": {"set"}, "name": {"LEVEL"}, "value": {"viewer"}}},
		{editor + "/versions/" + v1.ID + "/deploy", url.Values{}},
		{editor + "/delete", url.Values{"confirm": {"yes"}}},
		{flow, url.Values{"op": {"remove"}, "binding": {ids[0][1]}}},
		{base + "/new", url.Values{"name": {"Viewer action"}, "trigger": {"post-login"}}},
	} {
		c.form.Set("csrf", roCSRF)
		if resp, page := post(t, ro, c.path, c.form); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Insufficient scope") {
			t.Errorf("read-only POST %s: %d", c.path, resp.StatusCode)
		}
	}
	// A forged form from the administrator's browser changes nothing either.
	if resp, _ = post(t, admin, flow, url.Values{"csrf": {"forged"}, "op": {"remove"}, "binding": {ids[0][1]}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged flow change: %d", resp.StatusCode)
	}
	if got := mustAction(t, n, name); got.Code != good+"// v2\n" || len(got.Secrets) != 1 || got.Secrets[0].Value != secret {
		t.Errorf("refused changes changed the action: %+v", got)
	}
	if got := boundActions(t, n); len(got) != 2 {
		t.Errorf("refused changes changed the flow: %v", got)
	}

	// Someone without a dashboard role reaches none of it.
	user := browser(t)
	dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	for _, u := range []string{base, editor, flow} {
		if resp, _ := get(t, user, u); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s by a tenant user: %d", u, resp.StatusCode)
		}
	}

	// Delete, after the confirmation step that names the flow it leaves.
	if _, page = get(t, admin, editor+"/delete"); !strings.Contains(page, "It runs in the Login flow today") {
		t.Errorf("delete confirmation:\n%s", page)
	}
	if resp, _ = post(t, admin, editor+"/delete", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if _, err := n.Store.GetAction(ctx, a.ID); err == nil {
		t.Errorf("the action survived its deletion")
	}
	if got := boundActions(t, n); len(got) != 1 || got[0] != devtenant.ActionName {
		t.Errorf("flow after delete: %v", got)
	}
}
