package storetest

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testConnections: the migration seeds the default database connection; connections are created,
// read by id and name, listed with filters, updated (options and enabled clients) and deleted with
// their users; a new client is enabled on every connection; a deleted client leaves every list.
func testConnections(t *testing.T, s store.Store) {
	def, err := s.GetConnectionByName(ctx, domain.DefaultConnection)
	must(t, err)
	eq(t, "seeded strategy", def.Strategy, domain.StrategyAuth0)
	eq(t, "seeded policy", def.Options.PasswordPolicy, domain.PasswordPolicyGood)
	eq(t, "seeded brute force", def.Options.BruteForceProtection, true)
	if len(def.ID) != len("con_")+16 || def.ID[:4] != "con_" {
		t.Errorf("seeded id %q", def.ID)
	}

	app := MustClient(t, s, "app")
	def, err = s.GetConnection(ctx, def.ID)
	must(t, err)
	if !def.EnabledFor(app.ClientID) {
		t.Errorf("a new client is not enabled on the default connection: %v", def.EnabledClients)
	}

	c := &domain.Connection{ID: domain.NewConnectionID(), Name: "Other-DB", DisplayName: "Other",
		Options:        domain.ConnectionOptions{PasswordPolicy: "excellent", PasswordHistory: &domain.PasswordHistoryOptions{Enable: true, Size: 3}},
		Metadata:       map[string]string{"team": "a"},
		EnabledClients: []string{app.ClientID}}
	domain.ApplyConnectionDefaults(c)
	must(t, s.CreateConnection(ctx, c))
	wantConflict(t, s.CreateConnection(ctx, &domain.Connection{ID: domain.NewConnectionID(), Name: "Other-DB", Strategy: "auth0"}), "name")

	got, err := s.GetConnection(ctx, c.ID)
	must(t, err)
	eq(t, "name", got.Name, "Other-DB")
	eq(t, "display name", got.DisplayName, "Other")
	eq(t, "policy", got.Options.PasswordPolicy, "excellent")
	eq(t, "history", got.Options.HistorySize(), 3)
	eq(t, "metadata", got.Metadata["team"], "a")
	eq(t, "realm", got.Realms[0], "Other-DB")
	eq(t, "created", got.CreatedAt, c.CreatedAt.Truncate(time.Microsecond))
	if !slices.Equal(got.EnabledClients, []string{app.ClientID}) {
		t.Errorf("enabled clients %v", got.EnabledClients)
	}
	// An upstream connection: its options and its sealed client secret come back; the secret only
	// on the field no view marshals.
	show := true
	up := &domain.Connection{ID: domain.NewConnectionID(), Name: "acme-oidc", Strategy: domain.StrategyOIDC, ShowAsButton: &show,
		Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{ClientID: "cid", Issuer: "https://idp.example/",
			DomainAliases: []string{"acme.example"}}},
		SecretSealed: []byte{1, 2, 3}}
	domain.ApplyConnectionDefaults(up)
	must(t, s.CreateConnection(ctx, up))
	gotUp, err := s.GetConnectionByName(ctx, "acme-oidc")
	must(t, err)
	eq(t, "upstream client id", gotUp.Options.ClientID, "cid")
	eq(t, "upstream issuer", gotUp.Options.Issuer, "https://idp.example/")
	eq(t, "show as button", gotUp.ShowAsButton != nil && *gotUp.ShowAsButton, true)
	eq(t, "sealed secret", string(gotUp.SecretSealed), "\x01\x02\x03")
	gotUp.SecretSealed = []byte{4}
	must(t, s.UpdateConnection(ctx, gotUp))
	gotUp, err = s.GetConnection(ctx, up.ID)
	must(t, err)
	eq(t, "sealed secret updated", string(gotUp.SecretSealed), "\x04")
	// A private_key_jwt key pair: its certificate and sealed key come back, on no view's field.
	gotUp.ClientKey = &domain.ConnectionKey{KID: "kid-1", Cert: "-----BEGIN CERTIFICATE-----", KeySealed: []byte{5, 6}, CreatedAt: time.Unix(1700000000, 0).UTC()}
	must(t, s.UpdateConnection(ctx, gotUp))
	gotUp, err = s.GetConnection(ctx, up.ID)
	must(t, err)
	if k := gotUp.ClientKey; k == nil || k.KID != "kid-1" || string(k.KeySealed) != "\x05\x06" || !k.CreatedAt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("client key %+v", gotUp.ClientKey)
	}
	eq(t, "sealed secret kept", string(gotUp.SecretSealed), "\x04")
	// A rotation's next and previous keys come back beside the current one.
	since := time.Unix(1700000500, 0).UTC()
	gotUp.NextClientKey = &domain.ConnectionKey{KID: "kid-2", Cert: "c2", KeySealed: []byte{7}, CreatedAt: since}
	gotUp.PreviousClientKey = &domain.ConnectionKey{KID: "kid-0", Cert: "c0", KeySealed: []byte{8}, CreatedAt: since}
	gotUp.ClientKey.CurrentSince = since
	must(t, s.UpdateConnection(ctx, gotUp))
	gotUp, err = s.GetConnection(ctx, up.ID)
	must(t, err)
	eq(t, "next key", gotUp.NextClientKey != nil && gotUp.NextClientKey.KID == "kid-2" && string(gotUp.NextClientKey.KeySealed) == "\x07", true)
	eq(t, "previous key", gotUp.PreviousClientKey != nil && gotUp.PreviousClientKey.KID == "kid-0", true)
	eq(t, "current since", gotUp.ClientKey.Since().Equal(since), true)
	must(t, s.DeleteConnection(ctx, up.ID))

	_, err = s.GetConnection(ctx, "con_missing")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetConnectionByName(ctx, "missing")
	wantErr(t, err, store.ErrNotFound)

	list, total, err := s.ListConnections(ctx, store.ConnectionFilter{}, store.Page{})
	must(t, err)
	eq(t, "total", total, 2)
	eq(t, "first listed is the oldest", list[0].Name, domain.DefaultConnection)
	list, total, err = s.ListConnections(ctx, store.ConnectionFilter{Name: "Other-DB"}, store.Page{})
	must(t, err)
	eq(t, "by name", total, 1)
	eq(t, "by name listed", list[0].ID, c.ID)
	_, total, err = s.ListConnections(ctx, store.ConnectionFilter{Strategy: []string{"google-oauth2"}}, store.Page{})
	must(t, err)
	eq(t, "by other strategy", total, 0)
	list, total, err = s.ListConnections(ctx, store.ConnectionFilter{Strategy: []string{"auth0"}}, store.Page{PerPage: 1, Page: 1})
	must(t, err)
	eq(t, "paged total", total, 2)
	eq(t, "second page", list[0].ID, c.ID)

	other := MustClient(t, s, "other")
	got.Options.PasswordPolicy = "low"
	got.EnabledClients = []string{other.ClientID}
	must(t, s.UpdateConnection(ctx, got))
	again, err := s.GetConnection(ctx, c.ID)
	must(t, err)
	eq(t, "updated policy", again.Options.PasswordPolicy, "low")
	if !slices.Equal(again.EnabledClients, []string{other.ClientID}) {
		t.Errorf("replaced clients %v", again.EnabledClients)
	}
	wantErr(t, s.UpdateConnection(ctx, &domain.Connection{ID: "con_missing", Name: "x"}), store.ErrNotFound)

	must(t, s.SetConnectionClients(ctx, c.ID, map[string]bool{app.ClientID: true, other.ClientID: false}))
	again, err = s.GetConnection(ctx, c.ID)
	must(t, err)
	if !slices.Equal(again.EnabledClients, []string{app.ClientID}) {
		t.Errorf("after set: %v", again.EnabledClients)
	}
	err = s.SetConnectionClients(ctx, c.ID, map[string]bool{other.ClientID: true, "no-such-client": true})
	wantErr(t, err, store.ErrNotFound)
	again, err = s.GetConnection(ctx, c.ID)
	must(t, err)
	if !slices.Equal(again.EnabledClients, []string{app.ClientID}) {
		t.Errorf("a refused change changed the list: %v", again.EnabledClients)
	}
	wantErr(t, s.SetConnectionClients(ctx, "con_missing", map[string]bool{app.ClientID: true}), store.ErrNotFound)

	must(t, s.DeleteClient(ctx, app.ClientID))
	again, err = s.GetConnection(ctx, c.ID)
	must(t, err)
	eq(t, "a deleted client leaves the list", len(again.EnabledClients), 0)

	// Deleting a connection deletes its users, and only them.
	inOther := &domain.User{UserID: domain.NewUserID(), Email: "o@example.com", Connection: "Other-DB", PasswordHash: "h"}
	domain.ApplyUserDefaults(inOther)
	must(t, s.CreateUser(ctx, inOther))
	inDefault := MustUser(t, s, "d@example.com")
	inDefault.Username = "Dora"
	must(t, s.UpdateUser(ctx, inDefault))
	byName, err := s.GetUserByUsername(ctx, domain.DefaultConnection, "DORA")
	must(t, err)
	eq(t, "by username, any case", byName.UserID, inDefault.UserID)
	_, err = s.GetUserByUsername(ctx, "Other-DB", "dora")
	wantErr(t, err, store.ErrNotFound)
	found, n, err := s.SearchUsers(ctx, store.UserQuery{Terms: []store.UserQueryTerm{{Field: "connection", Value: "Other-DB"}}}, store.Page{})
	must(t, err)
	if n != 1 || found[0].UserID != inOther.UserID {
		t.Errorf("users by connection: %d", n)
	}
	must(t, s.DeleteConnection(ctx, c.ID))
	_, err = s.GetUser(ctx, inOther.UserID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetUser(ctx, inDefault.UserID)
	must(t, err)
	_, err = s.GetConnection(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteConnection(ctx, c.ID), store.ErrNotFound)
}

// testPasswordHistory keeps the newest hashes, newest first, and forgets a deleted user's.
func testPasswordHistory(t *testing.T, s store.Store) {
	u := MustUser(t, s, "h@example.com")
	t0 := now()
	for i, h := range []string{"h1", "h2", "h3", "h4"} {
		must(t, s.AddPasswordHistory(ctx, u.UserID, h, t0.Add(time.Duration(i)*time.Second), 3))
	}
	got, err := s.ListPasswordHistory(ctx, u.UserID, 10)
	must(t, err)
	if !slices.Equal(got, []string{"h4", "h3", "h2"}) {
		t.Errorf("history %v, want the newest 3", got)
	}
	got, err = s.ListPasswordHistory(ctx, u.UserID, 2)
	must(t, err)
	if !slices.Equal(got, []string{"h4", "h3"}) {
		t.Errorf("limited %v", got)
	}
	must(t, s.AddPasswordHistory(ctx, u.UserID, "ignored", t0.Add(time.Minute), 0))
	got, err = s.ListPasswordHistory(ctx, u.UserID, 10)
	must(t, err)
	eq(t, "keep 0 forgets everything", len(got), 0)
	must(t, s.AddPasswordHistory(ctx, u.UserID, "h5", t0.Add(2*time.Minute), 5))
	must(t, s.DeleteUser(ctx, u.UserID))
	got, err = s.ListPasswordHistory(ctx, u.UserID, 10)
	must(t, err)
	eq(t, "a deleted user's history goes", len(got), 0)
}

// testEachCounter walks the live counters of a prefix, in key order.
func testEachCounter(t *testing.T, s store.Store) {
	t0 := now()
	for _, k := range []string{"bf:user1:b", "bf:user1:a", "bf:user2:a"} {
		_, _, err := s.HitCounter(ctx, k, 2, t0, t0.Add(time.Minute), true)
		must(t, err)
	}
	_, _, err := s.HitCounter(ctx, "bf:user1:expired", 1, t0.Add(-time.Hour), t0.Add(-time.Minute), false)
	must(t, err)
	var keys []string
	must(t, s.EachCounter(ctx, "bf:user1:", t0, func(key string, n int64, exp time.Time) error {
		keys = append(keys, key)
		eq(t, "count", n, int64(2))
		eq(t, "expiry", exp, t0.Add(time.Minute))
		return nil
	}))
	if !slices.Equal(keys, []string{"bf:user1:a", "bf:user1:b"}) {
		t.Errorf("keys %v", keys)
	}
	// The callback may write to the store (lift a block while listing).
	must(t, s.EachCounter(ctx, "bf:user2:", t0, func(key string, _ int64, _ time.Time) error {
		return s.DeleteCounter(ctx, key)
	}))
	n, _, err := s.GetCounter(ctx, "bf:user2:a", t0)
	must(t, err)
	eq(t, "deleted while walking", n, int64(0))
}

// UpgradeAddsDefaultConnection: a database from before connections were objects — an application
// and a user in it — gets Username-Password-Authentication when migrated, enabled for that
// application, and the user keeps its connection. exec runs a statement on a database migrated to
// the version before connections: the application and the user are written the way that schema
// holds them (the current statements write tables and columns it lacks); upgrade migrates the same
// database and returns a store on it.
func UpgradeAddsDefaultConnection(t *testing.T, exec func(query string, args ...any), upgrade func(t *testing.T) store.Store) {
	exec(`INSERT INTO clients (client_id, app_type, is_first_party, is_system, secret_hash, created_at, updated_at, doc)
		VALUES ($1, 'regular_web', 1 = 1, 1 = 0, NULL, 0, 0, '{"name":"Old"}')`, "old-app")
	u := &domain.User{UserID: "auth0|old", Email: "old@example.com"}
	exec(OldUserInsert, u.UserID, u.Email, "old", "old", `{"user_id":"auth0|old","email":"old@example.com"}`)

	s := upgrade(t)
	c, err := s.GetConnectionByName(ctx, domain.DefaultConnection)
	must(t, err)
	eq(t, "policy", c.Options.PasswordPolicy, domain.PasswordPolicyGood)
	eq(t, "brute force", c.Options.BruteForceProtection, true)
	if !c.EnabledFor("old-app") {
		t.Errorf("the existing application is not enabled: %v", c.EnabledClients)
	}
	got, err := s.GetUserByEmail(ctx, c.Name, "old@example.com")
	must(t, err)
	eq(t, "user", got.UserID, u.UserID)
}

// MigrationVersion is the version of the migration of fsys named NNNN_<description>.sql, so that a
// test building a database "from before" a change does not hard-code a number that is renumbered
// when changes land.
func MigrationVersion(fsys fs.FS, description string) (int, error) {
	names, err := fs.Glob(fsys, "*_"+description+".sql")
	if err != nil || len(names) != 1 {
		return 0, fmt.Errorf("migration %q: found %v (%v)", description, names, err)
	}
	num, _, _ := strings.Cut(path.Base(names[0]), "_")
	return strconv.Atoi(num)
}
