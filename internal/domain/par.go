package domain

import (
	"strings"
	"time"
)

// Pushed authorization requests (RFC 9126).
const (
	// RequestURIPrefix starts every request_uri Gatehouse issues (RFC 9126 §2.2); any other
	// request_uri at /authorize is a request object reference, which is not supported.
	RequestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	// PushedRequestLifetime is how long a request_uri may be used: long enough for a redirect,
	// short enough that a leaked one is of little use (RFC 9126 §2.2 suggests 5 to 600 seconds).
	PushedRequestLifetime = 60 * time.Second
)

// PushedRequest is an authorization request a client pushed to /oauth/par: its parameters, to be
// used once at /authorize by the same client before it expires. It is stored by the SHA-256 of its
// request_uri.
type PushedRequest struct {
	URIHash   []byte            `json:"-"`
	ClientID  string            `json:"client_id"`
	Params    map[string]string `json:"params"`
	CreatedAt time.Time         `json:"created_at"`
	ExpiresAt time.Time         `json:"-"`
}

// NewRequestURI returns a request_uri carrying 256 random bits, and its stored hash.
func NewRequestURI() (string, []byte) {
	uri := RequestURIPrefix + RandomToken(32)
	return uri, HashSecret(uri)
}

// IsPushedRequestURI reports whether a request_uri is one of Gatehouse's own.
func IsPushedRequestURI(s string) bool { return strings.HasPrefix(s, RequestURIPrefix) }
