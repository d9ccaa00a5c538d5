package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MustOrganization creates an organization with the given name.
func MustOrganization(t testing.TB, s store.Store, name string) *domain.Organization {
	t.Helper()
	o := &domain.Organization{ID: domain.NewOrganizationID(), Name: name, DisplayName: "Org " + name,
		Branding: &domain.OrganizationBranding{LogoURL: "https://example.com/logo.png",
			Colors: &domain.OrganizationColors{Primary: "#112233", PageBackground: "#ffffff"}},
		Metadata: map[string]string{"tier": "gold"}}
	must(t, o.Validate())
	must(t, s.CreateOrganization(ctx, o))
	return o
}

func testOrganizations(t *testing.T, s store.Store) {
	a := MustOrganization(t, s, "acme")
	got, err := s.GetOrganization(ctx, a.ID)
	must(t, err)
	eq(t, "name", got.Name, "acme")
	eq(t, "display_name", got.DisplayName, "Org acme")
	eq(t, "primary", got.Branding.Colors.Primary, "#112233")
	eq(t, "metadata", got.Metadata["tier"], "gold")
	byName, err := s.GetOrganizationByName(ctx, "acme")
	must(t, err)
	eq(t, "by name", byName.ID, a.ID)
	_, err = s.GetOrganizationByName(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	dup := &domain.Organization{ID: domain.NewOrganizationID(), Name: "acme"}
	wantConflict(t, s.CreateOrganization(ctx, dup), "name")
	_, err = s.GetOrganization(ctx, dup.ID)
	wantErr(t, err, store.ErrNotFound)

	b := MustOrganization(t, s, "beta")
	b.Name = "acme"
	wantConflict(t, s.UpdateOrganization(ctx, b), "name")
	b.Name, b.DisplayName = "beta-co", "Beta Co"
	must(t, s.UpdateOrganization(ctx, b))
	got, err = s.GetOrganization(ctx, b.ID)
	must(t, err)
	eq(t, "renamed", got.Name, "beta-co")
	eq(t, "display_name", got.DisplayName, "Beta Co")

	for i := 0; i < 3; i++ {
		MustOrganization(t, s, seq("org-", i))
	}
	list, total, err := s.ListOrganizations(ctx, store.Page{PerPage: 2})
	mustCount(t, list, total, err, 2, 5)

	// Checkpoint paging walks every organization once.
	seen := map[string]bool{}
	c := store.Cursor{Take: 2}
	for round := 0; round < 10; round++ {
		page, next, err := s.ListOrganizationsAfter(ctx, c)
		must(t, err)
		for _, o := range page {
			if seen[o.ID] {
				t.Fatalf("organization %s listed twice", o.ID)
			}
			seen[o.ID] = true
		}
		if next == "" {
			break
		}
		c.After = next
	}
	eq(t, "organizations walked", len(seen), 5)

	must(t, s.DeleteOrganization(ctx, b.ID))
	wantErr(t, s.DeleteOrganization(ctx, b.ID), store.ErrNotFound)
	wantErr(t, s.UpdateOrganization(ctx, b), store.ErrNotFound)
}

func testOrganizationMembers(t *testing.T, s store.Store) {
	a, b := MustOrganization(t, s, "acme"), MustOrganization(t, s, "beta")
	u1, u2 := MustUser(t, s, "m1@example.com"), MustUser(t, s, "m2@example.com")
	must(t, s.AddOrganizationMembers(ctx, a.ID, []string{u1.UserID, u2.UserID}))
	must(t, s.AddOrganizationMembers(ctx, a.ID, []string{u1.UserID})) // twice: one membership
	list, total, err := s.ListOrganizationMembers(ctx, a.ID, store.Page{})
	mustCount(t, list, total, err, 2, 2)

	// An unknown user fails the whole request: nobody is added.
	u3 := MustUser(t, s, "m3@example.com")
	wantErr(t, s.AddOrganizationMembers(ctx, b.ID, []string{u3.UserID, "auth0|missing"}), store.ErrNotFound)
	list, total, err = s.ListOrganizationMembers(ctx, b.ID, store.Page{})
	mustCount(t, list, total, err, 0, 0)
	wantErr(t, s.AddOrganizationMembers(ctx, "org_missing", []string{u1.UserID}), store.ErrNotFound)

	ok, err := s.IsOrganizationMember(ctx, a.ID, u1.UserID)
	must(t, err)
	eq(t, "member of a", ok, true)
	ok, err = s.IsOrganizationMember(ctx, b.ID, u1.UserID)
	must(t, err)
	eq(t, "member of b", ok, false)

	page, next, err := s.ListOrganizationMembersAfter(ctx, a.ID, store.Cursor{Take: 1})
	must(t, err)
	if len(page) != 1 || next == "" {
		t.Fatalf("first member page = %d items, next %q", len(page), next)
	}
	page2, next2, err := s.ListOrganizationMembersAfter(ctx, a.ID, store.Cursor{After: next, Take: 1})
	must(t, err)
	if len(page2) != 1 || next2 != "" || page2[0].UserID == page[0].UserID {
		t.Fatalf("second member page = %v, next %q", page2, next2)
	}

	orgs, total, err := s.ListUserOrganizations(ctx, u1.UserID, store.Page{})
	mustCount(t, orgs, total, err, 1, 1)
	eq(t, "user's organization", orgs[0].ID, a.ID)

	// Roles inside an organization, and the permissions they grant there only.
	api := MustAPI(t, s, "https://api.example.com", "read:data", "write:data")
	admin, viewer := MustRole(t, s, "admin"), MustRole(t, s, "viewer")
	must(t, s.AddRolePermissions(ctx, admin.ID, []domain.Permission{perm(api.Identifier, "write:data"), perm(api.Identifier, "read:data")}))
	must(t, s.AddRolePermissions(ctx, viewer.ID, []domain.Permission{perm(api.Identifier, "read:data")}))
	must(t, s.AddOrganizationMemberRoles(ctx, a.ID, u1.UserID, []string{admin.ID, viewer.ID}))
	must(t, s.AddOrganizationMemberRoles(ctx, a.ID, u1.UserID, []string{admin.ID}))
	wantErr(t, s.AddOrganizationMemberRoles(ctx, b.ID, u1.UserID, []string{admin.ID}), store.ErrNotFound) // not a member of b
	wantErr(t, s.AddOrganizationMemberRoles(ctx, a.ID, u2.UserID, []string{"rol_missing"}), store.ErrNotFound)
	roles, total, err := s.ListOrganizationMemberRoles(ctx, a.ID, u1.UserID, store.Page{})
	mustCount(t, roles, total, err, 2, 2)
	perms, err := s.OrganizationMemberPermissionNames(ctx, a.ID, u1.UserID, api.Identifier)
	must(t, err)
	eq(t, "org permissions", fmt.Sprint(perms), "[read:data write:data]")
	tenantWide, err := s.UserPermissionNames(ctx, u1.UserID, api.Identifier)
	must(t, err)
	eq(t, "tenant-wide permissions", len(tenantWide), 0)
	must(t, s.RemoveOrganizationMemberRoles(ctx, a.ID, u1.UserID, []string{admin.ID}))
	perms, err = s.OrganizationMemberPermissionNames(ctx, a.ID, u1.UserID, api.Identifier)
	must(t, err)
	eq(t, "org permissions after removal", fmt.Sprint(perms), "[read:data]")

	// Leaving the organization ends the roles held in it; joining again starts with none.
	must(t, s.RemoveOrganizationMembers(ctx, a.ID, []string{u1.UserID}))
	ok, err = s.IsOrganizationMember(ctx, a.ID, u1.UserID)
	must(t, err)
	eq(t, "member after removal", ok, false)
	must(t, s.AddOrganizationMembers(ctx, a.ID, []string{u1.UserID}))
	roles, total, err = s.ListOrganizationMemberRoles(ctx, a.ID, u1.UserID, store.Page{})
	mustCount(t, roles, total, err, 0, 0)

	// Deleting a user or the organization cascades.
	must(t, s.DeleteUser(ctx, u2.UserID))
	list, total, err = s.ListOrganizationMembers(ctx, a.ID, store.Page{})
	mustCount(t, list, total, err, 1, 1)
	must(t, s.DeleteOrganization(ctx, a.ID))
	orgs, total, err = s.ListUserOrganizations(ctx, u1.UserID, store.Page{})
	mustCount(t, orgs, total, err, 0, 0)
}

func testOrganizationConnections(t *testing.T, s store.Store) {
	a := MustOrganization(t, s, "acme")
	conn, err := s.GetConnectionByName(ctx, "Username-Password-Authentication")
	must(t, err)
	oc := &domain.OrganizationConnection{OrganizationID: a.ID, ConnectionID: conn.ID, AssignMembershipOnLogin: true, ShowAsButton: true}
	must(t, s.AddOrganizationConnection(ctx, oc))
	wantConflict(t, s.AddOrganizationConnection(ctx, &domain.OrganizationConnection{OrganizationID: a.ID, ConnectionID: conn.ID}), "connection_id")
	wantErr(t, s.AddOrganizationConnection(ctx, &domain.OrganizationConnection{OrganizationID: a.ID, ConnectionID: "con_missing"}), store.ErrNotFound)
	got, err := s.GetOrganizationConnection(ctx, a.ID, conn.ID)
	must(t, err)
	eq(t, "assign", got.AssignMembershipOnLogin, true)
	eq(t, "connection name", got.ConnectionName, "Username-Password-Authentication")
	eq(t, "strategy", got.Strategy, "auth0")
	got.AssignMembershipOnLogin, got.ShowAsButton = false, false
	must(t, s.UpdateOrganizationConnection(ctx, got))
	list, err := s.ListOrganizationConnections(ctx, a.ID)
	must(t, err)
	if len(list) != 1 || list[0].AssignMembershipOnLogin || list[0].ShowAsButton {
		t.Fatalf("connections = %+v", list)
	}
	b := MustOrganization(t, s, "beta")
	_, err = s.GetOrganizationConnection(ctx, b.ID, conn.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RemoveOrganizationConnection(ctx, b.ID, conn.ID), store.ErrNotFound)
	must(t, s.RemoveOrganizationConnection(ctx, a.ID, conn.ID))
	list, err = s.ListOrganizationConnections(ctx, a.ID)
	must(t, err)
	eq(t, "connections after removal", len(list), 0)
}

func newInvitation(org string, ticket string, expires time.Time) *domain.Invitation {
	return &domain.Invitation{ID: domain.NewInvitationID(), OrganizationID: org, TicketHash: domain.HashSecret(ticket),
		Inviter: domain.InvitationInviter{Name: "Ann"}, Invitee: domain.InvitationInvitee{Email: "new@example.com"},
		ClientID: "client", Roles: []string{"rol_1"}, ExpiresAt: expires}
}

func testInvitations(t *testing.T, s store.Store) {
	t0 := now()
	a, b := MustOrganization(t, s, "acme"), MustOrganization(t, s, "beta")
	inv := newInvitation(a.ID, "ticket-a", t0.Add(time.Hour))
	must(t, s.CreateInvitation(ctx, inv))
	got, err := s.GetInvitation(ctx, a.ID, inv.ID)
	must(t, err)
	eq(t, "invitee", got.Invitee.Email, "new@example.com")
	eq(t, "roles", fmt.Sprint(got.Roles), "[rol_1]")
	sameTime(t, "expires", got.ExpiresAt, inv.ExpiresAt)
	_, err = s.GetInvitation(ctx, b.ID, inv.ID) // another organization's id
	wantErr(t, err, store.ErrNotFound)
	list, total, err := s.ListInvitations(ctx, a.ID, store.Page{})
	mustCount(t, list, total, err, 1, 1)

	// Used with another organization: refused, and still good for its own.
	_, err = s.RedeemInvitation(ctx, domain.HashSecret("ticket-a"), b.ID, t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RedeemInvitation(ctx, domain.HashSecret("ticket-unknown"), a.ID, t0)
	wantErr(t, err, store.ErrNotFound)
	found, err := s.FindInvitation(ctx, domain.HashSecret("ticket-a"))
	must(t, err)
	eq(t, "found", found.ID, inv.ID)
	_, err = s.FindInvitation(ctx, domain.HashSecret("ticket-unknown"))
	wantErr(t, err, store.ErrNotFound)
	red, err := s.RedeemInvitation(ctx, domain.HashSecret("ticket-a"), a.ID, t0)
	must(t, err)
	eq(t, "redeemed", red.ID, inv.ID)
	_, err = s.RedeemInvitation(ctx, domain.HashSecret("ticket-a"), a.ID, t0)
	wantErr(t, err, store.ErrAlreadyUsed)
	_, err = s.GetInvitation(ctx, a.ID, inv.ID)
	wantErr(t, err, store.ErrNotFound)
	list, total, err = s.ListInvitations(ctx, a.ID, store.Page{})
	mustCount(t, list, total, err, 0, 0)

	old := newInvitation(a.ID, "ticket-old", t0.Add(-time.Second))
	must(t, s.CreateInvitation(ctx, old))
	_, err = s.RedeemInvitation(ctx, domain.HashSecret("ticket-old"), a.ID, t0)
	wantErr(t, err, store.ErrNotFound)

	must(t, s.DeleteInvitation(ctx, a.ID, old.ID))
	wantErr(t, s.DeleteInvitation(ctx, a.ID, old.ID), store.ErrNotFound)
	wantErr(t, s.CreateInvitation(ctx, newInvitation("org_missing", "t", t0.Add(time.Hour))), store.ErrNotFound)
}

// testRaceAddMember: 20 requests adding the same user at once make one membership, and none fails.
func testRaceAddMember(t *testing.T, s store.Store) {
	o := MustOrganization(t, s, "acme")
	u := MustUser(t, s, "race@example.com")
	for round := 0; round < 5; round++ {
		errs := race(func(int) error { return s.AddOrganizationMembers(ctx, o.ID, []string{u.UserID}) })
		if wins := tally(t, errs, store.ErrConflict); wins != racers {
			t.Fatalf("%d of %d adds succeeded", wins, racers)
		}
		list, total, err := s.ListOrganizationMembers(ctx, o.ID, store.Page{})
		mustCount(t, list, total, err, 1, 1)
		must(t, s.RemoveOrganizationMembers(ctx, o.ID, []string{u.UserID}))
	}
}

// testRaceRedeemInvitation: of 20 concurrent acceptances of one invitation exactly one spends it.
func testRaceRedeemInvitation(t *testing.T, s store.Store) {
	t0 := now()
	o := MustOrganization(t, s, "acme")
	must(t, s.CreateInvitation(ctx, newInvitation(o.ID, "raced", t0.Add(time.Hour))))
	errs := race(func(int) error {
		_, err := s.RedeemInvitation(ctx, domain.HashSecret("raced"), o.ID, t0)
		return err
	})
	if wins := tally(t, errs, store.ErrAlreadyUsed); wins != 1 {
		t.Fatalf("%d acceptances succeeded, want exactly 1", wins)
	}
}
