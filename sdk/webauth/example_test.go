package webauth_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net/http"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
{{if .}}<h1>Welcome, {{.Name}}</h1><p>Email: {{.Email}}</p><img src="{{.Picture}}" alt="Profile">
<a href="/api/auth/logout">Log out</a>{{else}}<a href="/api/auth/login">Log in</a>{{end}}`))

// The seed guide's application: AUTH0_* from the environment, the four auth routes, a public
// home page with a login or logout link, a protected dashboard, an admin area that needs the
// role claim the guide's post-login Action adds, and a protected API route.
func Example() {
	cfg, err := webauth.FromEnv() // AUTH0_SECRET, AUTH0_BASE_URL, AUTH0_ISSUER_BASE_URL, ...
	if err != nil {
		log.Fatal(err)
	}
	cfg.LoginReturnTo = "/dashboard" // handleLogin({returnTo: '/dashboard'})
	cfg.LogoutReturnTo = "/"         // handleLogout({returnTo: '/'})
	cfg.AfterCallback = func(ctx context.Context, s *webauth.Session, _ *http.Request) (*webauth.Session, error) {
		// Sync user to your database, e.g. db.UpsertUser(ctx, s.User.Sub(), s.User.Email()).
		return s, nil
	}
	auth, err := webauth.New(cfg)
	if err != nil {
		log.Fatal(err) // a missing or short AUTH0_SECRET, a missing URL, ...
	}

	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler()) // login, callback, logout, me

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var user webauth.User
		if s, ok := webauth.SessionFrom(r.Context()); ok {
			user = s.User
		}
		_ = page.Execute(w, user)
	})
	mux.Handle("GET /dashboard", auth.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := webauth.SessionFrom(r.Context())
		_ = page.Execute(w, s.User)
	})))
	mux.Handle("/admin/", auth.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := webauth.SessionFrom(r.Context())
		if !s.User.HasString("https://yourapp.com/roles", "admin") {
			http.Redirect(w, r, "/unauthorized", http.StatusFound)
			return
		}
		fmt.Fprintln(w, "admin area")
	})))
	mux.Handle("GET /api/protected/data", auth.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := webauth.SessionFrom(r.Context())
		fmt.Fprintf(w, `{"owner":%q}`, s.User.Sub()) // data scoped to the user
	})))

	// WithSession makes the session visible to every page and keeps rolling sessions alive.
	log.Fatal(http.ListenAndServe(":3000", auth.WithSession(mux)))
}

// Step 10 of the guide: get an access token (refreshing it) to call the API, and send the user
// back to login when that is no longer possible.
func ExampleClient_AccessToken() {
	auth, err := webauth.New(validConfig())
	if err != nil {
		log.Fatal(err)
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		token, err := auth.AccessToken(w, r, webauth.AccessTokenOptions{Refresh: true})
		var ae *webauth.AccessTokenError
		if errors.As(err, &ae) && (ae.Code == webauth.ErrCodeExpiredAccessToken || ae.Code == webauth.ErrCodeFailedRefreshGrant) {
			http.Redirect(w, r, "/api/auth/login", http.StatusFound)
			return
		}
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", "https://api.yourapp.com/data", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		// resp, err := http.DefaultClient.Do(req) ...
	}
	_ = handler
}

// A second login route asking for an extra API permission, next to the default one.
func ExampleClient_LoginHandler() {
	auth, err := webauth.New(validConfig())
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth.Handler())
	mux.Handle("/admin/login", auth.LoginHandler(webauth.LoginOptions{
		Scope:    "openid profile email offline_access admin:read",
		ReturnTo: "/admin/",
	}))
}

func ExampleUser() {
	u := webauth.User{"sub": "auth0|65a1", "name": "jane@example.com", "https://yourapp.com/roles": []any{"admin"}}
	fmt.Println(u.Sub(), u.Name(), u.HasString("https://yourapp.com/roles", "admin"))
	// Output: auth0|65a1 jane@example.com true
}
