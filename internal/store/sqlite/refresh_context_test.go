package sqlite_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// A refresh token row written while its context was a map[string]any reads into the typed
// domain.RefreshContext: the exchange that presents it keeps the Actions' claims and scopes.
func TestRefreshRowOfTheMapShapeReads(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t, filepath.Join(t.TempDir(), "g.db"))
	c := &domain.Client{ClientID: domain.NewClientID(), Name: "web", AppType: "regular_web"}
	if err := st.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	u := &domain.User{UserID: domain.NewUserID(), Email: "old@example.com", Connection: domain.DefaultConnection}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rt := &domain.RefreshToken{TokenHash: domain.HashSecret("old-row"), FamilyID: "fam_old", Generation: 1,
		ClientID: c.ClientID, UserID: u.UserID, Scope: "openid offline_access read:own_data", AuthTime: now, CreatedAt: now}
	if err := st.CreateRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	// The document exactly as json.Marshal wrote it from the map (keys sorted).
	old := `{"family_id":"fam_old","generation":1,"client_id":"` + c.ClientID + `","user_id":"` + u.UserID + `",` +
		`"scope":"openid offline_access read:own_data","rotating":false,"auth_time":"` + now.Format(time.RFC3339Nano) + `",` +
		`"claims":{"access_token":{"https://yourapp.com/tier":"gold"},"action_scopes":["read:own_data"],` +
		`"id_token":{"https://yourapp.com/roles":["admin"]},"include_auth_time":true},` +
		`"created_at":"` + now.Format(time.RFC3339Nano) + `"}`
	if _, err := st.DB().ExecContext(ctx, `UPDATE refresh_tokens SET doc = ? WHERE token_hash = ?`, old, rt.TokenHash); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetRefreshToken(ctx, rt.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.RefreshContext{
		IDTokenClaims:     map[string]any{"https://yourapp.com/roles": []any{"admin"}},
		AccessTokenClaims: map[string]any{"https://yourapp.com/tier": "gold"},
		IncludeAuthTime:   true,
		ActionScopes:      []string{"read:own_data"},
	}
	if !reflect.DeepEqual(got.Claims, want) {
		t.Fatalf("context = %#v", got.Claims)
	}
}
