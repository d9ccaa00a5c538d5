package seedapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// webApp is the guide's Next.js application: pages, the user's records and the calls to the API.
type webApp struct {
	auth    *webauth.Client
	records *Records
	apiBase string
	api     *http.Client // the API is the app's own backend; no issuer CA involved
	log     *slog.Logger
}

// NewWeb returns the web application: the /api/auth/* routes from webauth, the public home page,
// the protected /dashboard and /admin pages, /unauthorized, the session-scoped
// /api/protected/data, and /api/data and /api/data/admin, which call the API with the session's
// access token. It does not contact the issuer until a login starts.
func NewWeb(cfg Config) (http.Handler, error) {
	ac := cfg.Auth
	// Every problem at once: webauth's, and the guide's "Missing required parameter: audience"
	// (without it the access token is not for the API and /api/data could never work).
	var problems []error
	if ac.Audience == "" {
		problems = append(problems, errors.New("AUTH0_AUDIENCE is required: /api/data calls the API with an access token for it"))
	}
	if err := ac.Validate(); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if ac.LoginReturnTo == "" {
		ac.LoginReturnTo = "/dashboard" // handleLogin({returnTo: '/dashboard'})
	}
	if ac.LogoutReturnTo == "" {
		ac.LogoutReturnTo = "/" // handleLogout({returnTo: '/'})
	}
	if ac.HTTPClient == nil {
		ac.HTTPClient = cfg.httpClient()
	}
	if ac.Logger == nil {
		ac.Logger = cfg.logger()
	}
	auth, err := webauth.New(ac)
	if err != nil {
		return nil, err
	}
	apiBase := strings.TrimSuffix(cfg.APIBaseURL, "/")
	if apiBase == "" {
		apiBase = "http://localhost:3001"
	}
	if u, err := url.Parse(apiBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API base URL %q must be an absolute http(s) URL", cfg.APIBaseURL)
	}
	a := &webApp{auth: auth, records: cfg.Records, apiBase: apiBase, log: cfg.logger(),
		api: &http.Client{Timeout: 10 * time.Second}}
	if a.records == nil {
		a.records = NewRecords()
	}
	if cfg.HTTPClient != nil {
		a.api.Transport = cfg.HTTPClient.Transport // an https API may sit behind the same dev CA
	}

	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler()) // step 3: login, callback, logout, me
	// The login route also starts a sign-in through an organization: the organization of
	// /api/auth/login?organization=… (a member's bookmark, or an invitation link when this route
	// is the application's initiate_login_uri, with its invitation) goes to /authorize, and the
	// callback accepts only tokens for it.
	mux.Handle("GET /api/auth/login", auth.LoginHandler(webauth.LoginOptions{PassThroughQuery: []string{"organization", "invitation"}}))
	mux.Handle("GET /static/", http.FileServerFS(staticFS))
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /unauthorized", a.unauthorized)
	// Step 5's matcher: /dashboard, /settings and /admin need a session.
	mux.Handle("GET /dashboard", auth.RequireAuth(http.HandlerFunc(a.dashboard)))
	mux.Handle("GET /settings", auth.RequireAuth(http.HandlerFunc(a.settings)))
	mux.Handle("GET /admin", auth.RequireAuth(requireRole("admin", http.HandlerFunc(a.admin))))
	// Step 6: withApiAuthRequired; RequireAuth answers 401 JSON under /api/.
	mux.Handle("GET /api/protected/data", auth.RequireAuth(http.HandlerFunc(a.protectedData)))
	// Step 10: an access token, refreshed when needed, for the API.
	mux.Handle("GET /api/data", auth.RequireAuth(a.callAPI("/api/private")))
	mux.Handle("GET /api/data/admin", auth.RequireAuth(a.callAPI("/api/admin")))
	mux.HandleFunc("/", a.notFound)

	// WithSession shows the session to every page (the home page's sign-in state) and keeps a
	// rolling session alive.
	return securityHeaders(auth.WithSession(mux)), nil
}

// requireRole is step 5's check: the roles the post-login Action put in the ID token must include
// role, otherwise the user is sent to /unauthorized.
func requireRole(role string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := webauth.SessionFrom(r.Context())
		if !ok || !s.User.HasString(RolesClaim, role) {
			http.Redirect(w, r, "/unauthorized", http.StatusFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *webApp) home(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "home", nil)
}

func (a *webApp) dashboard(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "dashboard", nil)
}

func (a *webApp) settings(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "settings", nil)
}

func (a *webApp) admin(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "admin", a.records.All())
}

func (a *webApp) unauthorized(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusForbidden, "unauthorized", nil)
}

func (a *webApp) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	a.render(w, r, http.StatusNotFound, "notfound", nil)
}

// protectedData is step 6's API route: the signed-in user's records and nobody else's, in the
// organization they signed in through (the ID token's org_id, checked by webauth against the
// organization the login asked for) and no other.
func (a *webApp) protectedData(w http.ResponseWriter, r *http.Request) {
	s, _ := webauth.SessionFrom(r.Context()) // RequireAuth guarantees one
	userID, orgID := s.User.Sub(), s.User.String(OrgIDClaim)
	a.records.SeedFor(orgID, userID)
	writeJSON(w, http.StatusOK, a.records.FindByOwner(orgID, userID))
}

// callAPI is step 10: get the session's access token — refreshed with the refresh token when it
// has expired (or, with ?refresh=true, always, as the guide's getAccessToken({refresh: true}))
// — and call the API with it. The answer carries the API's status and body and whether the token
// was refreshed; never the token.
func (a *webApp) callAPI(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before := ""
		if s, ok := webauth.SessionFrom(r.Context()); ok {
			before = s.AccessToken
		}
		token, err := a.auth.AccessToken(w, r, webauth.AccessTokenOptions{Refresh: r.URL.Query().Get("refresh") == "true"})
		var ae *webauth.AccessTokenError
		if errors.As(err, &ae) {
			switch ae.Code {
			case webauth.ErrCodeExpiredAccessToken, webauth.ErrCodeMissingRefreshToken, webauth.ErrCodeFailedRefreshGrant:
				// The guide: refresh failed, the user needs to sign in again.
				http.Redirect(w, r, "/api/auth/login?returnTo=%2Fdashboard", http.StatusFound)
				return
			}
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "error_description": ae.Code})
			return
		}
		if err != nil {
			a.log.ErrorContext(r.Context(), "access token", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, a.apiBase+path, nil)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := a.api.Do(req)
		if err != nil {
			a.log.WarnContext(r.Context(), "API unreachable", "url", a.apiBase+path, "err", err)
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": "api_unreachable"})
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil || !json.Valid(body) {
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": "api_bad_response"})
			return
		}
		writeJSON(w, resp.StatusCode, map[string]any{
			"status":      resp.StatusCode,
			"api":         json.RawMessage(body),
			"accessToken": map[string]bool{"refreshed": token != before},
		})
	})
}

// securityHeaders keeps the pages out of frames and limits what they may load.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if strings.HasPrefix(r.URL.Path, "/api/auth/") {
			next.ServeHTTP(w, r) // webauth's own pages and redirects
			return
		}
		h.Set("Content-Security-Policy", "default-src 'none'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
