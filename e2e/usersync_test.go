package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// TestUserSync is the guide's FAQ end to end: the dev tenant's "Sync users to your app" Action,
// turned on, posts the signed-in user to the seed app's /hooks/user-sync with fetch and the shared
// secret, and the app keeps its own copy. Development lets fetch reach the app on loopback.
func TestUserSync(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.AllowPrivateDestinations = true })
	users := seedapp.NewUsers()
	site := MustStartSeedApp(t, ctx, g, func(c *seedapp.Config) {
		c.UserSyncSecret = g.Tenant.UserSync.Secret
		c.Users = users
	})
	if g.Tenant.UserSync.Enabled || g.Tenant.UserSync.Secret == "" {
		t.Fatalf("user_sync in dev-tenant.json: %+v", g.Tenant.UserSync)
	}

	// Turn it on as a tenant admin would, through the Management API: the seeded Action points at
	// :3001; this app's API is on a random port.
	token := mustClientCredentials(t, ctx, g, g.Tenant.ManagementAPI.ClientID, g.Tenant.ManagementAPI.ClientSecret, g.Tenant.ManagementAPI.Audience)
	call := func(method, path string, body any, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, method, g.Issuer+"api/v2"+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := g.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
	}
	var list struct {
		Actions []struct {
			ID string `json:"id"`
		} `json:"actions"`
	}
	call("GET", "/actions/actions?actionName="+urlQuery(devtenant.SyncActionName), nil, &list)
	if len(list.Actions) != 1 {
		t.Fatalf("actions named %q: %v", devtenant.SyncActionName, list)
	}
	id := list.Actions[0].ID
	call("PATCH", "/actions/actions/"+id, map[string]any{"secrets": []map[string]any{
		{"name": "SYNC_URL", "value": site.API + "/hooks/user-sync"}, {"name": "SYNC_SECRET"}}}, nil)
	call("POST", "/actions/actions/"+id+"/deploy", nil, nil)
	call("PATCH", "/actions/triggers/post-login/bindings", map[string]any{"bindings": []map[string]any{
		{"ref": map[string]string{"type": "action_name", "value": devtenant.ActionName}, "display_name": devtenant.ActionName},
		{"ref": map[string]string{"type": "action_id", "value": id}, "display_name": devtenant.SyncActionName}}}, nil)

	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	admin := g.User(t, "admin")
	b.navigate(site.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, admin.Email, admin.Password)
	if loc := b.location(); loc != site.Web+"/dashboard" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	b.screenshot(shots, "user-sync-dashboard")
	all := users.All()
	if len(all) != 1 || all[0].Email != admin.Email || all[0].Name != "Ada Admin" || len(all[0].Roles) != 1 || all[0].Roles[0] != "admin" || all[0].Syncs != 1 {
		t.Fatalf("the app's users after one sign-in: %+v", all)
	}
}

func urlQuery(s string) string { return url.QueryEscape(s) }
