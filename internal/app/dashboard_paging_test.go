package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Users, APIs and roles lists page by 20, and a search pages its matches.
func TestDashboardListsPage(t *testing.T) {
	n := startNode(t, roomyManagementLimit)
	ctx := context.Background()
	now := time.Now().UTC()
	for i := 0; i < 25; i++ {
		u := &domain.User{UserID: domain.NewUserID(), Email: fmt.Sprintf("batch%02d@example.org", i), Connection: domain.DefaultConnection, CreatedAt: now, UpdatedAt: now}
		if err := n.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		rs := &domain.ResourceServer{ID: domain.NewResourceServerID(), Name: fmt.Sprintf("Batch API %02d", i), Identifier: fmt.Sprintf("https://batch%02d.example", i), CreatedAt: now, UpdatedAt: now}
		domain.ApplyResourceServerDefaults(rs)
		if err := n.Store.CreateResourceServer(ctx, rs); err != nil {
			t.Fatal(err)
		}
		if err := n.Store.CreateRole(ctx, &domain.Role{ID: domain.NewRoleID(), Name: fmt.Sprintf("batch-%02d", i), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	admin := browser(t)
	dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	for _, tc := range []struct {
		path, first, second, search, searched string
	}{
		// 3 seeded users, 2 seeded APIs, 4 seeded roles (the two dashboard roles, admin, user).
		{"users", "1–20 of 28", "21–28 of 28", "batch", "1–20 of 25"},
		{"apis", "1–20 of 27", "21–27 of 27", "batch", "1–20 of 25"},
		{"roles", "1–20 of 29", "21–29 of 29", "batch", "1–20 of 25"},
	} {
		base := n.issuer + "admin/" + tc.path
		if _, page := get(t, admin, base); !strings.Contains(page, tc.first) || !strings.Contains(page, `href="/admin/`+tc.path+`?page=1"`) {
			t.Errorf("%s, first page:\n%s", tc.path, page)
		}
		if _, page := get(t, admin, base+"?page=1"); !strings.Contains(page, tc.second) || !strings.Contains(page, `href="/admin/`+tc.path+`?page=0"`) {
			t.Errorf("%s, second page:\n%s", tc.path, page)
		}
		_, page := get(t, admin, base+"?q="+tc.search)
		if !strings.Contains(page, tc.searched) || !strings.Contains(page, `href="/admin/`+tc.path+`?page=1&amp;q=`+tc.search+`"`) {
			t.Errorf("%s, search:\n%s", tc.path, page)
		}
		if _, page = get(t, admin, base+"?q="+tc.search+"&page=1"); !strings.Contains(page, "21–25 of 25") {
			t.Errorf("%s, second page of a search:\n%s", tc.path, page)
		}
	}
}
