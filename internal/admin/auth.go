package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// viewer is the signed-in person a page is rendered for.
type viewer struct {
	UserID, Name, Email string
	Scopes              []string
	CSRF                string
	api                 *api
}

// Can reports whether the person's token carries scope.
func (v *viewer) Can(scope string) bool { return slices.Contains(v.Scopes, scope) }

// RoleLabel names what the person may do, for the header.
func (v *viewer) RoleLabel() string {
	if v.Can("update:clients") {
		return "Admin"
	}
	return "Read-only"
}

// pageFunc renders one page for v. It writes the response itself (render, redirect).
type pageFunc func(w http.ResponseWriter, r *http.Request, v *viewer)

// page wraps a page: sign-in (webauth), then the access check, which mints the person's
// Management API token, then, for a POST, the CSRF check.
func (h *Handler) page(fn pageFunc) http.Handler {
	return h.auth.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		sess, _ := webauth.SessionFrom(r.Context())
		if sess == nil {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		sub := sess.User.Sub()
		tok, err := h.opts.Tokens.ForUser(r.Context(), sub)
		if errors.Is(err, ErrNoAccess) {
			h.render(w, r, http.StatusForbidden, "denied", &layoutData{Title: "No access",
				CSRF: h.csrfToken(sess), Email: sess.User.Email()}, nil)
			return
		}
		if err != nil {
			h.opts.Logger.ErrorContext(r.Context(), "dashboard: mint a Management API token", "err", err)
			h.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.")
			return
		}
		v := &viewer{UserID: sub, Name: sess.User.Name(), Email: sess.User.Email(), Scopes: tok.Scopes,
			CSRF: h.csrfToken(sess),
			api:  &api{client: h.http, base: h.opts.Issuer + "api/v2/", token: tok.Value, clientIP: httpserver.ClientIP(r.Context())}}
		if v.Name == "" {
			v.Name = v.Email
		}
		if r.Method == http.MethodPost && !h.validCSRF(r, sess) {
			h.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this dashboard. Go back, reload the page and try again; nothing was changed.")
			return
		}
		fn(w, r, v)
	}))
}

// csrfToken is bound to the session's ID token, so it changes with every sign-in and cannot be
// computed without the session cookie's content.
func (h *Handler) csrfToken(s *webauth.Session) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte(s.IDToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF checks the form's token, and refuses a request a browser says came from another
// origin even before that (Fetch Metadata, Origin).
func (h *Handler) validCSRF(r *http.Request, s *webauth.Session) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	// Under the pages' no-referrer policy a browser sends "Origin: null" for its own same-origin
	// form posts; Fetch Metadata then vouches for the origin.
	if o := r.Header.Get("Origin"); o != "" && o != h.origin && !(o == "null" && site == "same-origin") {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(h.csrfToken(s)))
}

// checkCSRF guards a route that is not a page (signing out).
func (h *Handler) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := webauth.SessionFrom(r.Context())
		if sess == nil || !h.validCSRF(r, sess) {
			h.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this dashboard. Go back, reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authError renders a failed sign-in (a callback error, the issuer unreachable).
func (h *Handler) authError(w http.ResponseWriter, r *http.Request, e *webauth.HandlerError) {
	if e.Err != nil {
		h.opts.Logger.WarnContext(r.Context(), "dashboard sign-in failed", "code", e.Code, "err", e.Err)
	}
	status := e.Status
	if status < 400 {
		status = http.StatusBadRequest
	}
	msg := "Signing in did not complete. Start again from the dashboard."
	if e.Description != "" && status < 500 {
		msg = "Signing in did not complete: " + e.Description
	}
	h.fail(w, r, status, msg)
}

// deriveKey derives a purpose-bound key from the cookie secret.
func deriveKey(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
