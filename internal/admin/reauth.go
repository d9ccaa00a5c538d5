package admin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// reauthAfter is how long after signing in a person may delete things or rotate a secret without
// signing in again. Past it, a destructive action sends them through /authorize with prompt=login
// and max_age=0 first, so that a session left open on a shared machine cannot do lasting harm.
const reauthAfter = 5 * time.Minute

// signInMaxAge is the max_age every dashboard sign-in asks for, equal to the session's absolute
// lifetime. It changes nothing about who may sign in; it makes the ID token carry auth_time (OIDC
// Core §2: required when max_age was requested), which is what reauthAfter is measured from.
const signInMaxAge = "43200"

// authTime is when the session's person last entered their password, from the ID token in the
// sealed session (verified by webauth at the callback). Zero when the token does not say.
func authTime(s *webauth.Session) time.Time {
	parts := strings.Split(s.IDToken, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		AuthTime int64 `json:"auth_time"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.AuthTime <= 0 {
		return time.Time{}
	}
	return time.Unix(claims.AuthTime, 0)
}

type reauthData struct {
	What     string // "delete this API", in a sentence
	LoginURL string
	Back     string
}

// recentSignIn reports whether the person signed in within reauthAfter. When not, it renders the
// page that sends them to sign in again and come back to back (a GET page of the dashboard where
// they confirm the action once more); the caller then stops.
func (h *Handler) recentSignIn(w http.ResponseWriter, r *http.Request, v *viewer, what, back string) bool {
	sess, _ := webauth.SessionFrom(r.Context())
	if sess != nil {
		if at := authTime(sess); !at.IsZero() && h.opts.Now().Sub(at) < reauthAfter {
			return true
		}
	}
	h.render(w, r, http.StatusUnauthorized, "reauth", &layoutData{Title: "Confirm it's you", Nav: "",
		Data: reauthData{What: what, Back: back, LoginURL: Path + "auth/reauth?" + url.Values{"returnTo": {back}}.Encode()}}, v)
	return false
}
