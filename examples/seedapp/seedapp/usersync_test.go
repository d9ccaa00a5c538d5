package seedapp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
)

func TestUserSyncHook(t *testing.T) {
	cfg := testConfig()
	cfg.UserSyncSecret = "hook-secret"
	cfg.Users = seedapp.NewUsers()
	h, err := seedapp.NewAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	post := func(auth, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/hooks/user-sync", strings.NewReader(body))
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	user := `{"user_id":"auth0|1","email":"ada@example.com","name":"Ada","email_verified":true,"roles":["admin"]}`
	for _, tc := range []struct {
		name, auth, body string
		status           int
	}{
		{"no secret", "", user, 401},
		{"wrong secret", "Bearer hook-secreT", user, 401},
		{"basic auth", "Basic aG9vay1zZWNyZXQ=", user, 401},
		{"not JSON", "Bearer hook-secret", "user_id=1", 400},
		{"two documents", "Bearer hook-secret", user + user, 400},
		{"no user id", "Bearer hook-secret", `{"email":"x@example.com"}`, 400},
		{"too large", "Bearer hook-secret", `{"user_id":"a","name":"` + strings.Repeat("x", 70<<10) + `"}`, 413},
	} {
		if w := post(tc.auth, tc.body); w.Code != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, w.Code, tc.status, w.Body)
		}
	}
	if n := len(cfg.Users.All()); n != 0 {
		t.Fatalf("refused requests stored %d users", n)
	}
	if w := post("Bearer hook-secret", user); w.Code != http.StatusCreated {
		t.Fatalf("first sync: %d %s", w.Code, w.Body)
	}
	w := post("Bearer hook-secret", strings.Replace(user, `"Ada"`, `"Ada L."`, 1))
	var got struct {
		Created bool               `json:"created"`
		User    seedapp.SyncedUser `json:"user"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK || got.Created {
		t.Fatalf("second sync: %d %s", w.Code, w.Body)
	}
	row, ok := cfg.Users.Get("auth0|1")
	if !ok || row.Name != "Ada L." || row.Syncs != 2 || row.Email != "ada@example.com" || !row.EmailVerified || row.Roles[0] != "admin" {
		t.Fatalf("row %+v", row)
	}

	// Without a secret the hook does not exist.
	off, _ := seedapp.NewAPI(testConfig())
	r := httptest.NewRequest("POST", "/hooks/user-sync", strings.NewReader(user))
	r.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	off.ServeHTTP(rec, r)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("hook without a secret: %d", rec.Code)
	}
}
