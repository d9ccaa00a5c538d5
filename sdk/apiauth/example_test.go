package apiauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

// The seed guide's Express API (step 7) in Go: a public route, a route that
// needs any valid token, and one that needs the admin:read scope.
func ExampleNew() {
	checkJwt, err := apiauth.New(apiauth.Config{
		IssuerBaseURL: os.Getenv("AUTH0_ISSUER_BASE_URL"), // https://YOUR_DOMAIN.auth0.com
		Audience:      os.Getenv("AUTH0_AUDIENCE"),        // https://api.yourapp.com
		Algorithms:    []string{"RS256"},
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/public", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"message": "Public endpoint - no auth required"})
	})
	mux.Handle("GET /api/private", checkJwt.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := apiauth.ClaimsFrom(r.Context())
		writeJSON(w, map[string]string{"message": "Protected endpoint", "userId": claims.Subject})
	})))
	mux.Handle("GET /api/admin", checkJwt.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"message": "Admin endpoint"})
	}), apiauth.RequiredScopes("admin:read")))

	log.Fatal(http.ListenAndServe(":3001", mux))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// The guide's Express error handler maps every UnauthorizedError to
// 401 {"error":"Invalid or missing token"}; this does the same and leaves
// 403 insufficient_scope as the default writes it.
func ExampleConfig_errorHandler() {
	cfg := apiauth.FromEnv()
	cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err *apiauth.Error) {
		if err.Status == http.StatusUnauthorized {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "Invalid or missing token"})
			return
		}
		apiauth.WriteError(w, err)
	}
	if _, err := apiauth.New(cfg); err != nil {
		log.Fatal(err)
	}
}

// FromEnv reads AUTH0_ISSUER_BASE_URL and AUTH0_AUDIENCE (or ISSUER_BASE_URL
// and AUDIENCE). Ready fails fast at start-up instead of on the first request.
func ExampleFromEnv() {
	m, err := apiauth.New(apiauth.FromEnv())
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Ready(ctx); err != nil {
		log.Fatalf("authorization server unreachable: %v", err)
	}
}

// Checks compose and run in order after the token is validated: here
// Auth0's RBAC "permissions" claim, then the "scope" claim.
func ExampleRequire() {
	adminOnly := apiauth.Require(
		apiauth.RequiredPermissions("admin:read"),
		apiauth.RequiredScopes("openid"),
	)
	h := adminOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "welcome, admin")
	}))

	// In an application a Middleware puts the claims in the context; a
	// handler's test can put them there itself.
	for _, perms := range [][]string{{"admin:read"}, {"read:own_data"}} {
		req := httptest.NewRequest(http.MethodGet, "/api/admin", nil)
		c := &apiauth.Claims{Subject: "auth0|1", Permissions: perms, Scope: []string{"openid"}}
		req = req.WithContext(apiauth.ContextWithClaims(req.Context(), c))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			fmt.Println(rec.Code, rec.Body.String())
		} else {
			fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 welcome, admin
	// 403 Bearer realm="api", error="insufficient_scope", error_description="Insufficient Permissions", scope="admin:read"
}

// ClaimsFrom gives the validated token to handlers; Decode reads custom
// claims into a struct.
func ExampleClaimsFrom() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		claims, ok := apiauth.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		var extra struct {
			Roles []string `json:"https://yourapp.com/roles"`
		}
		if err := claims.Decode(&extra); err != nil {
			http.Error(w, "bad claims", http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{
			"user":      claims.Subject,
			"canWrite":  claims.HasScope("write:own_data"),
			"roles":     extra.Roles,
			"expiresAt": claims.ExpiresAt,
		})
	}
	_ = handler
}
