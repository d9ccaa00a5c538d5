package seedapp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// SyncedUser is the app's own copy of a user, kept by POST /hooks/user-sync (the guide's FAQ:
// "Should I store users in my own database?" — keep Auth0 the source of truth for identity and
// copy what the app needs, keyed by the user id).
type SyncedUser struct {
	UserID        string    `json:"user_id"`
	Email         string    `json:"email"`
	Name          string    `json:"name,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	Roles         []string  `json:"roles"`
	Syncs         int       `json:"syncs"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
}

// Users is the app's user table: in memory here, a database table in a real app.
type Users struct {
	mu   sync.Mutex
	byID map[string]*SyncedUser
	now  func() time.Time
}

// NewUsers returns an empty table.
func NewUsers() *Users { return &Users{byID: map[string]*SyncedUser{}, now: time.Now} }

// Upsert inserts u or updates the row with its user id; it reports whether the row is new.
func (s *Users) Upsert(u SyncedUser) (SyncedUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	row, ok := s.byID[u.UserID]
	if !ok {
		row = &SyncedUser{UserID: u.UserID, FirstSeen: now}
		s.byID[u.UserID] = row
	}
	row.Email, row.Name, row.EmailVerified, row.Roles = u.Email, u.Name, u.EmailVerified, append([]string{}, u.Roles...)
	row.Syncs++
	row.LastSeen = now
	return *row, !ok
}

// Get returns the row of userID.
func (s *Users) Get(userID string) (SyncedUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.byID[userID]
	if !ok {
		return SyncedUser{}, false
	}
	return *row, true
}

// All returns every row, by user id.
func (s *Users) All() []SyncedUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SyncedUser, 0, len(s.byID))
	for _, r := range s.byID {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// maxSyncBody bounds the hook's request body.
const maxSyncBody = 64 << 10

// userSyncHandler is POST /hooks/user-sync: called by the tenant's post-login Action with
// "Authorization: Bearer <USER_SYNC_SECRET>" and the user as JSON. The secret is compared in
// constant time (over digests, so its length does not leak either); a bad request changes nothing.
func userSyncHandler(secret string, users *Users) http.Handler {
	want := sha256.Sum256([]byte(secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="user-sync"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the user-sync secret is missing or wrong"})
			return
		}
		var u SyncedUser
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSyncBody))
		if err := dec.Decode(&u); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "invalid_request", "error_description": "body too large"})
				return
			}
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "the body must be a JSON user"})
			return
		}
		if _, err := dec.Token(); err != io.EOF {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "the body must be one JSON user"})
			return
		}
		if u.UserID == "" || len(u.UserID) > 255 || len(u.Email) > 320 || len(u.Name) > 300 || len(u.Roles) > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "user_id is required; user_id, email, name and roles have size limits"})
			return
		}
		row, created := users.Upsert(u)
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, map[string]any{"synced": true, "created": created, "user": row})
	})
}
