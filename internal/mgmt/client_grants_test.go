package mgmt_test

import (
	"net/http"
	"testing"
)

// GET /client-grants pages by checkpoint as Auth0 does when from or take is sent ({client_grants,
// next}, take winning over per_page), which is how auth0 v7's clientGrants.list walks every grant;
// offset paging stays as it was.
func TestClientGrantsCheckpoint(t *testing.T) {
	e := newEnv(t)
	createAPI(t, e)
	want := map[string]bool{}
	for _, name := range []string{"m2m-a", "m2m-b", "m2m-c"} {
		cl := e.must(t, 201, "POST", "/clients", map[string]any{"name": name, "app_type": "non_interactive"}).obj(t)
		g := e.must(t, http.StatusCreated, "POST", "/client-grants", map[string]any{"client_id": cl["client_id"], "audience": apiID, "scope": []string{"admin:read"}}).obj(t)
		want[g["id"].(string)] = true
	}
	q := "/client-grants?audience=" + apiID

	seen := map[string]bool{}
	from, pages := "", 0
	for ; pages < 10; pages++ {
		path := q + "&include_totals=true&take=2"
		if from != "" {
			path += "&from=" + from
		}
		page := e.must(t, 200, "GET", path, nil).obj(t)
		if _, ok := page["total"]; ok {
			t.Fatalf("a checkpoint page has no total: %v", page)
		}
		items, _ := page["client_grants"].([]any)
		if len(items) == 0 || len(items) > 2 {
			t.Fatalf("page %d holds %d grants: %v", pages, len(items), page)
		}
		for _, it := range items {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("grant %s on two pages", id)
			}
			seen[id] = true
		}
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		from = next
	}
	if pages != 1 || len(seen) != 3 {
		t.Fatalf("walked %d pages after the first and %d grants, want 1 and 3", pages, len(seen))
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("grant %s not walked", id)
		}
	}

	offset := e.must(t, 200, "GET", q+"&include_totals=true&per_page=2&page=1", nil).obj(t)
	if offset["total"] != 3.0 || offset["start"] != 2.0 || len(offset["client_grants"].([]any)) != 1 {
		t.Fatalf("offset paging: %v", offset)
	}
	wantError(t, e.call(t, "admin", "GET", q+"&take=0", nil), 400, "invalid_query_string", "take", false)
	wantError(t, e.call(t, "admin", "GET", q+"&take=101", nil), 400, "invalid_query_string", "take", false)
	wantError(t, e.call(t, "admin", "GET", q+"&from=%21%21", nil), 400, "invalid_query_string", "from", false)
}
