package storetest

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func testClients(t *testing.T, s store.Store) {
	c := MustClient(t, s, "web")
	got, err := s.GetClient(ctx, c.ClientID)
	must(t, err)
	eq(t, "name", got.Name, "web")
	eq(t, "app_type", got.AppType, domain.AppTypeRegularWeb)
	eq(t, "auth method", got.TokenEndpointAuthMethod, domain.AuthMethodSecretPost)
	eq(t, "rotation", got.RefreshToken.RotationType, domain.RotationRotating)
	eq(t, "metadata", got.ClientMetadata["k"], "v")
	if !bytes.Equal(got.SecretHash, c.SecretHash) || !reflect.DeepEqual(got.Callbacks, c.Callbacks) {
		t.Fatalf("secret hash or callbacks not kept: %+v", got)
	}
	sameTime(t, "created_at", got.CreatedAt, c.CreatedAt.Truncate(1000))

	wantConflict(t, s.CreateClient(ctx, &domain.Client{ClientID: c.ClientID, Name: "dup"}), "client_id")

	got.Name, got.IsSystem, got.SecretHash = "renamed", true, domain.HashSecret("new")
	must(t, s.UpdateClient(ctx, got))
	again, err := s.GetClient(ctx, c.ClientID)
	must(t, err)
	eq(t, "name", again.Name, "renamed")
	eq(t, "is_system", again.IsSystem, true)
	if !domain.SecretMatches(again.SecretHash, "new") {
		t.Fatal("secret hash not updated")
	}
	sameTime(t, "created_at after update", again.CreatedAt, got.CreatedAt)

	wantErr(t, s.UpdateClient(ctx, &domain.Client{ClientID: "missing", Name: "x"}), store.ErrNotFound)
	must(t, s.DeleteClient(ctx, c.ClientID))
	_, err = s.GetClient(ctx, c.ClientID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteClient(ctx, c.ClientID), store.ErrNotFound)
}

func testClientFilters(t *testing.T, s store.Store) {
	MustClient(t, s, "web1")
	MustClient(t, s, "web2")
	spa := &domain.Client{ClientID: domain.NewClientID(), Name: "spa", AppType: domain.AppTypeSPA, IsFirstParty: true}
	domain.ApplyClientDefaults(spa)
	must(t, s.CreateClient(ctx, spa))
	m2m := &domain.Client{ClientID: domain.NewClientID(), Name: "m2m", AppType: domain.AppTypeNonInteractive}
	domain.ApplyClientDefaults(m2m)
	must(t, s.CreateClient(ctx, m2m))

	list, total, err := s.ListClients(ctx, store.ClientFilter{}, store.Page{})
	mustCount(t, list, total, err, 4, 4)
	eq(t, "first (creation order)", list[0].Name, "web1")
	list, total, err = s.ListClients(ctx, store.ClientFilter{AppType: []string{domain.AppTypeSPA, domain.AppTypeNonInteractive}}, store.Page{})
	mustCount(t, list, total, err, 2, 2)
	list, total, err = s.ListClients(ctx, store.ClientFilter{IsFirstParty: ptr(true)}, store.Page{})
	mustCount(t, list, total, err, 1, 1)
	eq(t, "first party", list[0].Name, "spa")
	list, total, err = s.ListClients(ctx, store.ClientFilter{AppType: []string{domain.AppTypeRegularWeb}}, store.Page{Page: 1, PerPage: 1})
	mustCount(t, list, total, err, 1, 2)
	eq(t, "second page", list[0].Name, "web2")
}

func testResourceServers(t *testing.T, s store.Store) {
	rs := MustAPI(t, s, "https://api.example.com", "read:data", "write:data")
	got, err := s.GetResourceServer(ctx, rs.ID)
	must(t, err)
	eq(t, "identifier", got.Identifier, rs.Identifier)
	if !got.HasScope("write:data") || len(got.Scopes) != 2 {
		t.Fatalf("scopes = %+v", got.Scopes)
	}
	byID, err := s.GetResourceServerByIdentifier(ctx, "https://api.example.com")
	must(t, err)
	eq(t, "id by identifier", byID.ID, rs.ID)
	_, err = s.GetResourceServerByIdentifier(ctx, "https://api.example.com/")
	wantErr(t, err, store.ErrNotFound)

	dup := &domain.ResourceServer{ID: domain.NewResourceServerID(), Name: "dup", Identifier: rs.Identifier}
	wantConflict(t, s.CreateResourceServer(ctx, dup), "identifier")

	got.Name, got.EnforcePolicies = "Renamed", true
	must(t, s.UpdateResourceServer(ctx, got))
	again, err := s.GetResourceServer(ctx, rs.ID)
	must(t, err)
	eq(t, "name", again.Name, "Renamed")
	eq(t, "enforce", again.EnforcePolicies, true)

	MustAPI(t, s, "https://other.example.com")
	list, total, err := s.ListResourceServers(ctx, store.Page{})
	mustCount(t, list, total, err, 2, 2)
	must(t, s.DeleteResourceServer(ctx, rs.ID))
	_, err = s.GetResourceServer(ctx, rs.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteResourceServer(ctx, rs.ID), store.ErrNotFound)
}

func testClientGrants(t *testing.T, s store.Store) {
	c := MustClient(t, s, "m2m")
	c2 := MustClient(t, s, "other")
	api := MustAPI(t, s, "https://api.example.com", "read:data")
	api2 := MustAPI(t, s, "https://two.example.com")
	g := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: api.Identifier, Scope: []string{"read:data"}}
	must(t, s.CreateClientGrant(ctx, g))

	got, err := s.GetClientGrant(ctx, g.ID)
	must(t, err)
	if !reflect.DeepEqual(got.Scope, []string{"read:data"}) || got.Audience != api.Identifier || got.ClientID != c.ClientID {
		t.Fatalf("grant = %+v", got)
	}
	found, err := s.FindClientGrant(ctx, c.ClientID, api.Identifier)
	must(t, err)
	eq(t, "found id", found.ID, g.ID)
	_, err = s.FindClientGrant(ctx, c.ClientID, api2.Identifier)
	wantErr(t, err, store.ErrNotFound)

	dup := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: api.Identifier}
	wantConflict(t, s.CreateClientGrant(ctx, dup), "audience")
	must(t, s.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: api2.Identifier}))
	must(t, s.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c2.ClientID, Audience: api.Identifier}))
	err = s.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: "no-such-client", Audience: api.Identifier})
	wantErr(t, err, store.ErrNotFound)

	got.Scope = []string{}
	must(t, s.UpdateClientGrant(ctx, got))
	again, err := s.GetClientGrant(ctx, g.ID)
	must(t, err)
	eq(t, "scopes after update", len(again.Scope), 0)

	list, total, err := s.ListClientGrants(ctx, store.ClientGrantFilter{}, store.Page{})
	mustCount(t, list, total, err, 3, 3)
	list, total, err = s.ListClientGrants(ctx, store.ClientGrantFilter{ClientID: c.ClientID}, store.Page{})
	mustCount(t, list, total, err, 2, 2)
	list, total, err = s.ListClientGrants(ctx, store.ClientGrantFilter{Audience: api.Identifier}, store.Page{})
	mustCount(t, list, total, err, 2, 2)
	list, total, err = s.ListClientGrants(ctx, store.ClientGrantFilter{ClientID: c.ClientID, Audience: api.Identifier}, store.Page{})
	mustCount(t, list, total, err, 1, 1)

	must(t, s.DeleteClientGrant(ctx, g.ID))
	wantErr(t, s.DeleteClientGrant(ctx, g.ID), store.ErrNotFound)
	wantErr(t, s.UpdateClientGrant(ctx, g), store.ErrNotFound)
}

func testRoles(t *testing.T, s store.Store) {
	admin := MustRole(t, s, "admin")
	MustRole(t, s, "user")
	MustRole(t, s, "Auditor")
	got, err := s.GetRole(ctx, admin.ID)
	must(t, err)
	eq(t, "name", got.Name, "admin")
	eq(t, "description", got.Description, "role admin")
	wantConflict(t, s.CreateRole(ctx, &domain.Role{ID: domain.NewRoleID(), Name: "admin"}), "name")

	got.Name, got.Description = "administrator", "all"
	must(t, s.UpdateRole(ctx, got))
	again, err := s.GetRole(ctx, admin.ID)
	must(t, err)
	eq(t, "renamed", again.Name, "administrator")
	// Renaming onto a taken name is a conflict too.
	again.Name = "user"
	wantConflict(t, s.UpdateRole(ctx, again), "name")

	list, total, err := s.ListRoles(ctx, "", store.Page{})
	mustCount(t, list, total, err, 3, 3)
	list, total, err = s.ListRoles(ctx, "AUD", store.Page{})
	mustCount(t, list, total, err, 1, 1)
	eq(t, "filtered", list[0].Name, "Auditor")
	list, total, err = s.ListRoles(ctx, "%", store.Page{})
	mustCount(t, list, total, err, 0, 0)

	must(t, s.DeleteRole(ctx, admin.ID))
	_, err = s.GetRole(ctx, admin.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteRole(ctx, admin.ID), store.ErrNotFound)
}

func testUsers(t *testing.T, s store.Store) {
	u := MustUser(t, s, "Alice@Example.com")
	got, err := s.GetUser(ctx, u.UserID)
	must(t, err)
	eq(t, "email (normalised)", got.Email, "alice@example.com")
	eq(t, "connection", got.Connection, domain.DefaultConnection)
	eq(t, "password hash", got.PasswordHash, u.PasswordHash)
	eq(t, "app_metadata", got.AppMetadata["plan"], any("pro"))

	byEmail, err := s.GetUserByEmail(ctx, domain.DefaultConnection, "ALICE@example.COM")
	must(t, err)
	eq(t, "by email", byEmail.UserID, u.UserID)
	_, err = s.GetUserByEmail(ctx, "other-connection", "alice@example.com")
	wantErr(t, err, store.ErrNotFound)

	// Email is unique per connection, whatever its case; the same email in another connection is fine.
	dup := &domain.User{UserID: domain.NewUserID(), Email: "ALICE@example.com", Connection: domain.DefaultConnection}
	wantConflict(t, s.CreateUser(ctx, dup), "email")
	wantConflict(t, s.CreateUser(ctx, &domain.User{UserID: u.UserID, Email: "x@example.com"}), "user_id")
	other := &domain.User{UserID: "oidc|alice", Email: "alice@example.com", Connection: "corp"}
	must(t, s.CreateUser(ctx, other))
	list, err := s.ListUsersByEmail(ctx, "Alice@example.com")
	must(t, err)
	eq(t, "users with the email", len(list), 2)

	got.Name, got.Blocked, got.UserMetadata = "Alice A.", true, map[string]any{"theme": "dark"}
	got.PasswordHash = "$argon2id$v=19$new"
	must(t, s.UpdateUser(ctx, got))
	again, err := s.GetUser(ctx, u.UserID)
	must(t, err)
	eq(t, "name", again.Name, "Alice A.")
	eq(t, "blocked", again.Blocked, true)
	eq(t, "password hash", again.PasswordHash, "$argon2id$v=19$new")
	eq(t, "user_metadata", again.UserMetadata["theme"], any("dark"))
	// Changing the email onto another user's address is a conflict.
	b := MustUser(t, s, "bob@example.com")
	b.Email = "alice@example.com"
	wantConflict(t, s.UpdateUser(ctx, b), "email")
	wantErr(t, s.UpdateUser(ctx, &domain.User{UserID: "auth0|missing", Email: "m@example.com"}), store.ErrNotFound)
	// Usernames are unique per connection, case-insensitively.
	carol := &domain.User{UserID: domain.NewUserID(), Email: "carol@example.com", Username: "Carol"}
	must(t, s.CreateUser(ctx, carol))
	wantConflict(t, s.CreateUser(ctx, &domain.User{UserID: domain.NewUserID(), Email: "c2@example.com", Username: "carol"}), "username")

	must(t, s.DeleteUser(ctx, u.UserID))
	_, err = s.GetUser(ctx, u.UserID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteUser(ctx, u.UserID), store.ErrNotFound)
}

func testUserSearch(t *testing.T, s store.Store) {
	alice := MustUser(t, s, "alice@example.com")
	alice.Name, alice.Nickname, alice.Username, alice.EmailVerified = "Alice Liddell", "Ali", "alice_l", true
	must(t, s.UpdateUser(ctx, alice))
	bob := MustUser(t, s, "bob@example.com")
	bob.Name = "Bob Builder"
	must(t, s.UpdateUser(ctx, bob))
	MustUser(t, s, "alan@other.org")

	cases := []struct {
		name  string
		terms []store.UserQueryTerm
		want  int
	}{
		{"no terms", nil, 3},
		{"email exact", []store.UserQueryTerm{{Field: "email", Value: "alice@example.com"}}, 1},
		{"email exact, other case", []store.UserQueryTerm{{Field: "email", Value: "ALICE@Example.com"}}, 1},
		{"email prefix", []store.UserQueryTerm{{Field: "email", Value: "al*"}}, 2},
		{"email prefix is not contains", []store.UserQueryTerm{{Field: "email", Value: "example*"}}, 0},
		{"email prefix with LIKE characters", []store.UserQueryTerm{{Field: "email", Value: "%*"}}, 0},
		{"name case-insensitive", []store.UserQueryTerm{{Field: "name", Value: "alice liddell"}}, 1},
		{"name prefix", []store.UserQueryTerm{{Field: "name", Value: "BOB*"}}, 1},
		{"nickname", []store.UserQueryTerm{{Field: "nickname", Value: "ALI"}}, 1},
		{"user_id", []store.UserQueryTerm{{Field: "user_id", Value: alice.UserID}}, 1},
		{"username", []store.UserQueryTerm{{Field: "username", Value: "alice_l"}}, 1},
		{"email_verified", []store.UserQueryTerm{{Field: "email_verified", Value: "true"}}, 1},
		{"blocked false", []store.UserQueryTerm{{Field: "blocked", Value: "false"}}, 3},
		{"any field", []store.UserQueryTerm{{Value: "bob builder"}}, 1},
		{"any field prefix", []store.UserQueryTerm{{Value: "al*"}}, 2},
		{"terms are ANDed", []store.UserQueryTerm{{Field: "email", Value: "al*"}, {Field: "email_verified", Value: "true"}}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := s.SearchUsers(ctx, store.UserQuery{Terms: tc.terms}, store.Page{})
			mustCount(t, list, total, err, tc.want, tc.want)
			// Without the count: the same page, total -1.
			list, total, err = s.SearchUsers(ctx, store.UserQuery{Terms: tc.terms, SkipCount: true}, store.Page{})
			mustCount(t, list, total, err, tc.want, -1)
		})
	}
	_, _, err := s.SearchUsers(ctx, store.UserQuery{Terms: []store.UserQueryTerm{{Field: "password", Value: "x"}}}, store.Page{})
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("unknown field: error = %v, want invalid", err)
	}
}

func testRecordLogin(t *testing.T, s store.Store) {
	u := MustUser(t, s, "login@example.com")
	at := now()
	must(t, s.RecordLogin(ctx, u.UserID, "203.0.113.7", at))
	must(t, s.RecordLogin(ctx, u.UserID, "203.0.113.8", at.Add(1)))
	got, err := s.GetUser(ctx, u.UserID)
	must(t, err)
	eq(t, "logins", got.LoginsCount, 2)
	eq(t, "last ip", got.LastIP, "203.0.113.8")
	if got.LastLogin == nil || !got.LastLogin.Equal(at) {
		t.Fatalf("last login = %v, want %v", got.LastLogin, at)
	}
	// A profile update does not overwrite login bookkeeping.
	u.Name = "changed"
	must(t, s.UpdateUser(ctx, u))
	got, err = s.GetUser(ctx, u.UserID)
	must(t, err)
	eq(t, "logins after update", got.LoginsCount, 2)
	wantErr(t, s.RecordLogin(ctx, "auth0|missing", "", at), store.ErrNotFound)
}
