package seedapp

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

// NewAPI returns the guide's Express API (step 7) on apiauth: /api/public for anyone, /api/private
// for any valid access token for Auth.Audience, /api/admin for tokens carrying the admin:read
// permission. It contacts the issuer on the first request that carries a token. With
// Config.UserSyncSecret it also serves POST /hooks/user-sync (the guide's FAQ on keeping users in
// the app's own database).
func NewAPI(cfg Config) (http.Handler, error) {
	if cfg.Auth.IssuerBaseURL == "" || cfg.Auth.Audience == "" {
		return nil, errors.New("the API needs AUTH0_ISSUER_BASE_URL and AUTH0_AUDIENCE")
	}
	// The guide's checkJwt: RS256 tokens of this issuer for this audience, keys from its JWKS.
	// Rejections are written by apiauth.WriteError: 401 with an RFC 6750 challenge for a missing,
	// malformed or invalid token (what the guide's Express error handler does), 403 for a missing
	// permission.
	checkJwt, err := apiauth.New(apiauth.Config{
		IssuerBaseURL: cfg.Auth.IssuerBaseURL,
		Audience:      cfg.Auth.Audience,
		Algorithms:    []string{"RS256"},
		HTTPClient:    cfg.httpClient(),
		Logger:        cfg.logger(),
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/public", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"message": "Public endpoint - no auth required"})
	})
	mux.Handle("GET /api/private", checkJwt.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := apiauth.ClaimsFrom(r.Context())
		body := map[string]any{"message": "Protected endpoint", "userId": claims.Subject,
			// When the token expires (and was issued), so a caller can see a refreshed token arrive.
			"tokenExpiresAt": claims.ExpiresAt.Unix()}
		if !claims.IssuedAt.IsZero() {
			body["tokenIssuedAt"] = claims.IssuedAt.Unix()
		}
		// A token issued through an organization says which (org_id); its data is that
		// organization's.
		if orgID, _ := claims.Organization(); orgID != "" {
			body["orgId"] = orgID
		}
		writeJSON(w, http.StatusOK, body)
	})))
	// The guide writes requiredScopes('admin:read'), but its login (step 3) asks only for
	// "openid profile email offline_access": a user's access token never carries admin:read in
	// "scope". With RBAC and "Add Permissions in the Access Token" on the API (step 8), the admin
	// role's permissions arrive in the "permissions" claim instead, so that is what is checked.
	mux.Handle("GET /api/admin", checkJwt.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"message": "Admin endpoint"})
	}), apiauth.RequiredPermissions("admin:read")))
	if cfg.UserSyncSecret != "" {
		users := cfg.Users
		if users == nil {
			users = NewUsers()
		}
		mux.Handle("POST /hooks/user-sync", userSyncHandler(cfg.UserSyncSecret, users))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	})
	return mux, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
