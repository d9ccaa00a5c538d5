package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func newAction(name string, triggers ...string) *domain.Action {
	a := &domain.Action{ID: domain.NewActionID(), Name: name, Code: "exports.onExecutePostLogin = async () => {};",
		Runtime: "node18", Status: domain.ActionBuilt, Secrets: []domain.ActionSecret{{Name: "KEY", Value: "v"}}}
	for _, tr := range triggers {
		a.SupportedTriggers = append(a.SupportedTriggers, domain.ActionTrigger{ID: tr, Version: "v3"})
	}
	return a
}

func testActions(t *testing.T, s store.Store) {
	a := newAction("add-roles", domain.TriggerPostLogin)
	must(t, s.CreateAction(ctx, a))
	must(t, s.CreateAction(ctx, newAction("m2m", domain.TriggerCredentialsExchange)))
	got, err := s.GetAction(ctx, a.ID)
	must(t, err)
	eq(t, "code", got.Code, a.Code)
	eq(t, "secret", got.Secrets[0].Value, "v")
	eq(t, "not deployed", got.DeployedVersionID, "")
	wantConflict(t, s.CreateAction(ctx, newAction("add-roles", domain.TriggerPostLogin)), "name")

	got.Code = "// changed"
	must(t, s.UpdateAction(ctx, got))
	again, err := s.GetAction(ctx, a.ID)
	must(t, err)
	eq(t, "updated code", again.Code, "// changed")

	list, total, err := s.ListActions(ctx, store.ActionFilter{}, store.Page{})
	mustCount(t, list, total, err, 2, 2)
	list, total, err = s.ListActions(ctx, store.ActionFilter{TriggerID: domain.TriggerPostLogin}, store.Page{})
	mustCount(t, list, total, err, 1, 1)
	eq(t, "by trigger", list[0].Name, "add-roles")
	list, total, err = s.ListActions(ctx, store.ActionFilter{ActionName: "m2m"}, store.Page{})
	mustCount(t, list, total, err, 1, 1)
	list, total, err = s.ListActions(ctx, store.ActionFilter{Deployed: ptr(true)}, store.Page{})
	mustCount(t, list, total, err, 0, 0)

	must(t, s.DeleteAction(ctx, a.ID))
	_, err = s.GetAction(ctx, a.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteAction(ctx, a.ID), store.ErrNotFound)
	wantErr(t, s.UpdateAction(ctx, a), store.ErrNotFound)
}

func testActionVersionsAndBindings(t *testing.T, s store.Store) {
	a, b := newAction("first", domain.TriggerPostLogin), newAction("second", domain.TriggerPostLogin)
	must(t, s.CreateAction(ctx, a))
	must(t, s.CreateAction(ctx, b))
	var versions []*domain.ActionVersion
	for i := 0; i < 3; i++ {
		v := &domain.ActionVersion{ActionID: a.ID, Code: seq("code", i), Runtime: "node18", Status: domain.ActionBuilt,
			Secrets: []domain.ActionSecret{{Name: "KEY", Value: seq("v", i)}}}
		must(t, s.CreateActionVersion(ctx, v))
		eq(t, "version number", v.Number, i+1)
		versions = append(versions, v)
	}
	wantErr(t, s.CreateActionVersion(ctx, &domain.ActionVersion{ActionID: "missing"}), store.ErrNotFound)

	got, err := s.GetAction(ctx, a.ID)
	must(t, err)
	eq(t, "deployed version", got.DeployedVersionID, versions[2].ID)
	list, total, err := s.ListActionVersions(ctx, a.ID, store.Page{})
	mustCount(t, list, total, err, 3, 3)
	eq(t, "newest first", list[0].Number, 3)
	eq(t, "newest deployed", list[0].Deployed, true)
	eq(t, "older not deployed", list[1].Deployed, false)
	v1, err := s.GetActionVersion(ctx, a.ID, versions[0].ID)
	must(t, err)
	eq(t, "v1 code", v1.Code, "code000")
	eq(t, "v1 secret", v1.Secrets[0].Value, "v000")
	_, err = s.GetActionVersion(ctx, b.ID, versions[0].ID)
	wantErr(t, err, store.ErrNotFound)
	deployed, total, err := s.ListActions(ctx, store.ActionFilter{Deployed: ptr(true)}, store.Page{})
	mustCount(t, deployed, total, err, 1, 1)

	bind := func(ids ...string) []*domain.TriggerBinding {
		var out []*domain.TriggerBinding
		for _, id := range ids {
			out = append(out, &domain.TriggerBinding{ActionID: id, DisplayName: "bound " + id})
		}
		return out
	}
	must(t, s.SetTriggerBindings(ctx, domain.TriggerPostLogin, bind(b.ID, a.ID)))
	bs, err := s.ListTriggerBindings(ctx, domain.TriggerPostLogin)
	must(t, err)
	if len(bs) != 2 || bs[0].ActionID != b.ID || bs[1].ActionID != a.ID || bs[0].ID == "" || bs[0].TriggerID != domain.TriggerPostLogin {
		t.Fatalf("bindings = %+v, want b then a", bs)
	}
	must(t, s.SetTriggerBindings(ctx, domain.TriggerPostLogin, bind(a.ID)))
	bs, err = s.ListTriggerBindings(ctx, domain.TriggerPostLogin)
	must(t, err)
	if len(bs) != 1 || bs[0].ActionID != a.ID {
		t.Fatalf("bindings after replace = %+v", bs)
	}
	other, err := s.ListTriggerBindings(ctx, domain.TriggerCredentialsExchange)
	must(t, err)
	eq(t, "other trigger", len(other), 0)
	wantErr(t, s.SetTriggerBindings(ctx, domain.TriggerPostLogin, bind("missing")), store.ErrNotFound)

	// Deleting the action deletes its versions and bindings.
	must(t, s.DeleteAction(ctx, a.ID))
	bs, err = s.ListTriggerBindings(ctx, domain.TriggerPostLogin)
	must(t, err)
	eq(t, "bindings after delete", len(bs), 0)
	_, err = s.GetActionVersion(ctx, a.ID, versions[0].ID)
	wantErr(t, err, store.ErrNotFound)
}

func newKey(kid, state string, created time.Time) *domain.SigningKey {
	return &domain.SigningKey{KID: kid, Alg: "RS256", State: state, PrivateKeyEncrypted: []byte("enc-" + kid),
		CertDER: []byte("cert-" + kid), CreatedAt: created}
}

func testSigningKeys(t *testing.T, s store.Store) {
	t0 := now()
	v0, err := s.KeysVersion(ctx)
	must(t, err)
	cur := newKey("k1", domain.KeyCurrent, t0)
	cur.CurrentSince = &t0
	must(t, s.CreateSigningKey(ctx, cur))
	must(t, s.CreateSigningKey(ctx, newKey("k2", domain.KeyNext, t0.Add(time.Second))))
	wantConflict(t, s.CreateSigningKey(ctx, newKey("k9", domain.KeyCurrent, t0)), "state")
	wantConflict(t, s.CreateSigningKey(ctx, newKey("k1", domain.KeyPrevious, t0)), "kid")
	v1, err := s.KeysVersion(ctx)
	must(t, err)
	if v1 == v0 {
		t.Fatal("KeysVersion did not change after a key was added")
	}

	// A stale expectation is refused and changes nothing.
	err = s.RotateSigningKeys(ctx, "k0", newKey("k3", "", t0.Add(2*time.Second)), t0.Add(time.Minute))
	wantConflict(t, err, "kid")
	must(t, s.RotateSigningKeys(ctx, "k1", newKey("k3", "", t0.Add(2*time.Second)), t0.Add(time.Minute)))
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	states := map[string]string{}
	for _, k := range keys {
		states[k.KID] = k.State
	}
	if states["k1"] != domain.KeyPrevious || states["k2"] != domain.KeyCurrent || states["k3"] != domain.KeyNext {
		t.Fatalf("states after rotation = %v", states)
	}
	eq(t, "newest first", keys[0].KID, "k3")
	if !bytes.Equal(keys[2].PrivateKeyEncrypted, []byte("enc-k1")) || keys[2].PreviousSince == nil || keys[1].CurrentSince == nil {
		t.Fatalf("rotated keys = %+v %+v", keys[1], keys[2])
	}
	v2, err := s.KeysVersion(ctx)
	must(t, err)
	if v2 == v1 {
		t.Fatal("KeysVersion did not change after a rotation")
	}
	wantConflict(t, s.RotateSigningKeys(ctx, "k1", newKey("k4", "", t0), t0.Add(2*time.Minute)), "kid")

	// Only a previous key can be revoked.
	for _, kid := range []string{"k2", "k3"} {
		err := s.RevokeSigningKey(ctx, kid, t0.Add(time.Hour))
		wantErr(t, err, store.ErrConflict)
	}
	wantErr(t, s.RevokeSigningKey(ctx, "nope", t0), store.ErrNotFound)
	must(t, s.RevokeSigningKey(ctx, "k1", t0.Add(time.Hour)))
	keys, err = s.ListSigningKeys(ctx)
	must(t, err)
	if keys[2].State != domain.KeyRevoked || keys[2].RevokedAt == nil || !keys[2].RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("revoked key = %+v", keys[2])
	}
	v3, err := s.KeysVersion(ctx)
	must(t, err)
	if v3 == v2 {
		t.Fatal("KeysVersion did not change after a revocation")
	}
}

func testLogs(t *testing.T, s store.Store) {
	t0 := now()
	for i := 0; i < 5; i++ {
		e := &domain.LogEvent{Date: t0.Add(time.Duration(i) * time.Second), Type: "s", UserID: "auth0|a", ClientID: "c1",
			Description: seq("login", i), Details: map[string]any{"i": float64(i)}}
		if i%2 == 1 {
			e.Type, e.UserID, e.ClientID = "f", "auth0|b", "c2"
		}
		must(t, s.AppendLog(ctx, e))
		if e.LogID == "" {
			t.Fatal("AppendLog did not assign a log id")
		}
	}
	// Two events at the same instant come back newest-inserted first.
	same := &domain.LogEvent{Date: t0.Add(4 * time.Second), Type: "s", Description: "same-instant"}
	must(t, s.AppendLog(ctx, same))

	list, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{})
	mustCount(t, list, total, err, 6, 6)
	eq(t, "newest first", list[0].Description, "same-instant")
	eq(t, "then", list[1].Description, "login004")
	eq(t, "oldest last", list[5].Description, "login000")
	list, total, err = s.ListLogs(ctx, store.LogFilter{Type: "f"}, store.Page{})
	mustCount(t, list, total, err, 2, 2)
	list, total, err = s.ListLogs(ctx, store.LogFilter{UserID: "auth0|a", ClientID: "c1"}, store.Page{PerPage: 2})
	mustCount(t, list, total, err, 2, 3)
	eq(t, "filtered newest", list[0].Description, "login004")

	got, err := s.GetLog(ctx, same.LogID)
	must(t, err)
	eq(t, "description", got.Description, "same-instant")
	sameTime(t, "date", got.Date, same.Date)
	_, err = s.GetLog(ctx, "missing")
	wantErr(t, err, store.ErrNotFound)
}

func testTenantSettings(t *testing.T, s store.Store) {
	got, err := s.GetTenantSettings(ctx)
	must(t, err)
	def := domain.DefaultTenantSettings()
	eq(t, "default friendly name", got.FriendlyName, def.FriendlyName)
	eq(t, "default session lifetime", got.SessionLifetime, def.SessionLifetime)

	got.FriendlyName, got.SupportEmail, got.Flags = "Acme", "help@acme.test", map[string]bool{"enable_sso": false}
	got.Branding = &domain.Branding{Colors: &domain.BrandingColors{Primary: "#0059d6"}, LogoURL: "https://acme.test/logo.png"}
	must(t, s.PutTenantSettings(ctx, got))
	got.FriendlyName = "Acme 2"
	must(t, s.PutTenantSettings(ctx, got))
	again, err := s.GetTenantSettings(ctx)
	must(t, err)
	eq(t, "friendly name", again.FriendlyName, "Acme 2")
	eq(t, "support email", again.SupportEmail, "help@acme.test")
	eq(t, "flag", again.Flags["enable_sso"], false)
	if again.Branding == nil || again.Branding.Colors == nil || again.Branding.Colors.Primary != "#0059d6" || again.Branding.LogoURL != "https://acme.test/logo.png" {
		t.Errorf("branding kept with the settings: %+v", again.Branding)
	}
}

func testWithTx(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.WithTx(ctx, func(tx store.Store) error {
		MustClient(t, tx, "in-tx")
		MustUser(t, tx, "tx@example.com")
		// A nested WithTx joins the outer transaction.
		return tx.WithTx(ctx, func(inner store.Store) error {
			MustRole(t, inner, "tx-role")
			if _, err := inner.GetUserByEmail(ctx, domain.DefaultConnection, "tx@example.com"); err != nil {
				t.Errorf("write not visible inside its own transaction: %v", err)
			}
			return boom
		})
	})
	wantErr(t, err, boom)
	clients, total, err := s.ListClients(ctx, store.ClientFilter{}, store.Page{})
	mustCount(t, clients, total, err, 0, 0)
	_, err = s.GetUserByEmail(ctx, domain.DefaultConnection, "tx@example.com")
	wantErr(t, err, store.ErrNotFound)
	roles, total, err := s.ListRoles(ctx, "", store.Page{})
	mustCount(t, roles, total, err, 0, 0)

	// A failed statement inside the function is returned and rolls everything back too.
	c := MustClient(t, s, "existing")
	err = s.WithTx(ctx, func(tx store.Store) error {
		MustRole(t, tx, "rolled-back")
		return tx.CreateClient(ctx, &domain.Client{ClientID: c.ClientID, Name: "dup"})
	})
	wantErr(t, err, store.ErrConflict)
	roles, total, err = s.ListRoles(ctx, "", store.Page{})
	mustCount(t, roles, total, err, 0, 0)

	must(t, s.WithTx(ctx, func(tx store.Store) error {
		MustRole(t, tx, "committed")
		return nil
	}))
	roles, total, err = s.ListRoles(ctx, "", store.Page{})
	mustCount(t, roles, total, err, 1, 1)
	must(t, s.Ping(ctx))
}

func testPaging(t *testing.T, s store.Store) {
	for i := 0; i < 7; i++ {
		MustRole(t, s, seq("role", i))
	}
	cases := []struct {
		page    store.Page
		wantLen int
		first   string
	}{
		{store.Page{}, 7, "role000"},
		{store.Page{PerPage: 3}, 3, "role000"},
		{store.Page{Page: 1, PerPage: 3}, 3, "role003"},
		{store.Page{Page: 2, PerPage: 3}, 1, "role006"},
		{store.Page{Page: 3, PerPage: 3}, 0, ""},
		{store.Page{Page: 100, PerPage: 100}, 0, ""},
		{store.Page{PerPage: 1000}, 7, "role000"},
	}
	for _, tc := range cases {
		list, total, err := s.ListRoles(ctx, "", tc.page)
		mustCount(t, list, total, err, tc.wantLen, 7)
		if tc.wantLen > 0 {
			eq(t, "first of page", list[0].Name, tc.first)
		}
	}
	list, total, err := s.SearchUsers(ctx, store.UserQuery{}, store.Page{Page: 2})
	mustCount(t, list, total, err, 0, 0)
}
