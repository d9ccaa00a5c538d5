package storetest

import (
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

const api1, api2 = "https://api.example.com", "https://two.example.com"

func testRolePermissions(t *testing.T, s store.Store) {
	r := MustRole(t, s, "admin")
	perms := []domain.Permission{perm(api1, "write:data"), perm(api1, "read:data"), perm(api2, "read:data")}
	must(t, s.AddRolePermissions(ctx, r.ID, perms))
	must(t, s.AddRolePermissions(ctx, r.ID, perms[:1])) // idempotent
	list, total, err := s.ListRolePermissions(ctx, r.ID, store.Page{})
	mustCount(t, list, total, err, 3, 3)
	want := []domain.Permission{perm(api1, "read:data"), perm(api1, "write:data"), perm(api2, "read:data")}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("permissions = %v, want %v (sorted by API, name)", list, want)
	}
	must(t, s.RemoveRolePermissions(ctx, r.ID, []domain.Permission{perm(api1, "write:data")}))
	list, total, err = s.ListRolePermissions(ctx, r.ID, store.Page{PerPage: 1, Page: 1})
	mustCount(t, list, total, err, 1, 2)
	eq(t, "second page", list[0], perm(api2, "read:data"))

	_, _, err = s.ListRolePermissions(ctx, "rol_missing", store.Page{})
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.AddRolePermissions(ctx, "rol_missing", perms), store.ErrNotFound)

	u1, u2 := MustUser(t, s, "one@example.com"), MustUser(t, s, "two@example.com")
	must(t, s.AssignUsersToRole(ctx, r.ID, []string{u1.UserID, u2.UserID}))
	must(t, s.AssignUsersToRole(ctx, r.ID, []string{u1.UserID})) // idempotent
	users, total, err := s.ListRoleUsers(ctx, r.ID, store.Page{})
	mustCount(t, users, total, err, 2, 2)
	wantErr(t, s.AssignUsersToRole(ctx, r.ID, []string{"auth0|missing"}), store.ErrNotFound)
}

func testUserPermissions(t *testing.T, s store.Store) {
	u := MustUser(t, s, "rbac@example.com")
	admin, reader := MustRole(t, s, "admin"), MustRole(t, s, "reader")
	must(t, s.AddRolePermissions(ctx, admin.ID, []domain.Permission{perm(api1, "read:data"), perm(api1, "write:data")}))
	must(t, s.AddRolePermissions(ctx, reader.ID, []domain.Permission{perm(api1, "read:data"), perm(api2, "read:two")}))
	must(t, s.AssignRolesToUser(ctx, u.UserID, []string{admin.ID, reader.ID}))
	must(t, s.AssignRolesToUser(ctx, u.UserID, []string{admin.ID})) // idempotent
	must(t, s.AddUserPermissions(ctx, u.UserID, []domain.Permission{perm(api1, "read:data"), perm(api1, "delete:data")}))

	roles, total, err := s.ListUserRoles(ctx, u.UserID, store.Page{})
	mustCount(t, roles, total, err, 2, 2)
	eq(t, "roles sorted by name", roles[0].Name, "admin")

	list, total, err := s.ListUserPermissions(ctx, u.UserID, store.Page{})
	mustCount(t, list, total, err, 4, 4)
	// Sorted by API then name; read:data has three sources, merged into one entry.
	wantNames := []string{"delete:data", "read:data", "write:data", "read:two"}
	for i, p := range list {
		eq(t, "permission", p.PermissionName, wantNames[i])
	}
	read := list[1]
	if len(read.Sources) != 3 {
		t.Fatalf("read:data sources = %+v, want direct + two roles", read.Sources)
	}
	kinds := map[string]int{}
	for _, src := range read.Sources {
		kinds[src.SourceType]++
		if src.SourceType == "ROLE" && src.SourceID != admin.ID && src.SourceID != reader.ID {
			t.Fatalf("unexpected role source %+v", src)
		}
	}
	if kinds["DIRECT"] != 1 || kinds["ROLE"] != 2 {
		t.Fatalf("read:data sources = %+v", read.Sources)
	}
	eq(t, "write:data source", list[2].Sources[0].SourceName, "admin")

	page, total, err := s.ListUserPermissions(ctx, u.UserID, store.Page{Page: 1, PerPage: 3})
	mustCount(t, page, total, err, 1, 4)
	eq(t, "last page", page[0].PermissionName, "read:two")
	page, total, err = s.ListUserPermissions(ctx, u.UserID, store.Page{Page: 5, PerPage: 3})
	mustCount(t, page, total, err, 0, 4)

	names, err := s.UserPermissionNames(ctx, u.UserID, api1)
	must(t, err)
	if !reflect.DeepEqual(names, []string{"delete:data", "read:data", "write:data"}) {
		t.Fatalf("names = %v", names)
	}
	names, err = s.UserPermissionNames(ctx, u.UserID, "https://none.example.com")
	must(t, err)
	eq(t, "names on an unrelated API", len(names), 0)

	must(t, s.RemoveRolesFromUser(ctx, u.UserID, []string{admin.ID}))
	must(t, s.RemoveUserPermissions(ctx, u.UserID, []domain.Permission{perm(api1, "delete:data")}))
	names, err = s.UserPermissionNames(ctx, u.UserID, api1)
	must(t, err)
	if !reflect.DeepEqual(names, []string{"read:data"}) {
		t.Fatalf("names after removals = %v", names)
	}
	wantErr(t, s.AssignRolesToUser(ctx, u.UserID, []string{"rol_missing"}), store.ErrNotFound)
	wantErr(t, s.AddUserPermissions(ctx, "auth0|missing", []domain.Permission{perm(api1, "x")}), store.ErrNotFound)
	_, _, err = s.ListUserPermissions(ctx, "auth0|missing", store.Page{})
	wantErr(t, err, store.ErrNotFound)
}

func testCascadeDeleteClient(t *testing.T, s store.Store) {
	c, keep := MustClient(t, s, "gone"), MustClient(t, s, "kept")
	api := MustAPI(t, s, api1)
	u := MustUser(t, s, "c@example.com")
	g := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: api.Identifier}
	must(t, s.CreateClientGrant(ctx, g))
	must(t, s.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: keep.ClientID, Audience: api.Identifier}))
	rt := mustRefresh(t, s, c.ClientID, u.UserID, "rt-gone")
	kept := mustRefresh(t, s, keep.ClientID, u.UserID, "rt-kept")

	must(t, s.DeleteClient(ctx, c.ClientID))
	_, err := s.GetClientGrant(ctx, g.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetRefreshToken(ctx, rt.TokenHash)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetRefreshToken(ctx, kept.TokenHash)
	must(t, err)
	_, total, err := s.ListClientGrants(ctx, store.ClientGrantFilter{}, store.Page{})
	must(t, err)
	eq(t, "grants left", total, 1)
}

func testCascadeDeleteResourceServer(t *testing.T, s store.Store) {
	c := MustClient(t, s, "m2m")
	gone, kept := MustAPI(t, s, api1, "read:data"), MustAPI(t, s, api2, "read:two")
	must(t, s.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: gone.Identifier}))
	must(t, s.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: c.ClientID, Audience: kept.Identifier}))
	r := MustRole(t, s, "r")
	u := MustUser(t, s, "rs@example.com")
	must(t, s.AddRolePermissions(ctx, r.ID, []domain.Permission{perm(api1, "read:data"), perm(api2, "read:two")}))
	must(t, s.AddUserPermissions(ctx, u.UserID, []domain.Permission{perm(api1, "read:data"), perm(api2, "read:two")}))

	must(t, s.DeleteResourceServer(ctx, gone.ID))
	grants, total, err := s.ListClientGrants(ctx, store.ClientGrantFilter{ClientID: c.ClientID}, store.Page{})
	mustCount(t, grants, total, err, 1, 1)
	eq(t, "remaining grant", grants[0].Audience, api2)
	rp, total, err := s.ListRolePermissions(ctx, r.ID, store.Page{})
	mustCount(t, rp, total, err, 1, 1)
	eq(t, "remaining role permission", rp[0].ResourceServerIdentifier, api2)
	up, total, err := s.ListUserPermissions(ctx, u.UserID, store.Page{})
	mustCount(t, up, total, err, 1, 1)
	eq(t, "remaining user permission", up[0].ResourceServerIdentifier, api2)
}

func testCascadeDeleteUser(t *testing.T, s store.Store) {
	c := MustClient(t, s, "web")
	u, other := MustUser(t, s, "gone@example.com"), MustUser(t, s, "kept@example.com")
	r := MustRole(t, s, "r")
	must(t, s.AssignRolesToUser(ctx, u.UserID, []string{r.ID}))
	must(t, s.AssignRolesToUser(ctx, other.UserID, []string{r.ID}))
	must(t, s.AddUserPermissions(ctx, u.UserID, []domain.Permission{perm(api1, "read:data")}))
	sess := mustSession(t, s, u.UserID, "sess-gone")
	keptSess := mustSession(t, s, other.UserID, "sess-kept")
	rt := mustRefresh(t, s, c.ClientID, u.UserID, "rt-gone")

	must(t, s.DeleteUser(ctx, u.UserID))
	_, err := s.GetSession(ctx, sess.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetSession(ctx, keptSess.ID)
	must(t, err)
	_, err = s.GetRefreshToken(ctx, rt.TokenHash)
	wantErr(t, err, store.ErrNotFound)
	users, total, err := s.ListRoleUsers(ctx, r.ID, store.Page{})
	mustCount(t, users, total, err, 1, 1)
	eq(t, "remaining member", users[0].UserID, other.UserID)
	names, err := s.UserPermissionNames(ctx, u.UserID, api1)
	must(t, err)
	eq(t, "permissions of a deleted user", len(names), 0)
}

func testCascadeDeleteRole(t *testing.T, s store.Store) {
	u := MustUser(t, s, "role@example.com")
	gone, kept := MustRole(t, s, "gone"), MustRole(t, s, "kept")
	must(t, s.AddRolePermissions(ctx, gone.ID, []domain.Permission{perm(api1, "write:data")}))
	must(t, s.AddRolePermissions(ctx, kept.ID, []domain.Permission{perm(api1, "read:data")}))
	must(t, s.AssignRolesToUser(ctx, u.UserID, []string{gone.ID, kept.ID}))

	must(t, s.DeleteRole(ctx, gone.ID))
	roles, total, err := s.ListUserRoles(ctx, u.UserID, store.Page{})
	mustCount(t, roles, total, err, 1, 1)
	eq(t, "remaining role", roles[0].ID, kept.ID)
	names, err := s.UserPermissionNames(ctx, u.UserID, api1)
	must(t, err)
	if !reflect.DeepEqual(names, []string{"read:data"}) {
		t.Fatalf("names = %v", names)
	}
	// Re-creating a role with the deleted name works: nothing of the old one is left.
	again := MustRole(t, s, "gone")
	perms, total, err := s.ListRolePermissions(ctx, again.ID, store.Page{})
	mustCount(t, perms, total, err, 0, 0)
}
