package webauth

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxCookieSize is the per-cookie budget browsers guarantee (RFC 6265 §6.1: at least 4096
// bytes for name, value and attributes).
const maxCookieSize = 4096

// cookieAttrs are the attributes shared by every cookie this package writes.
type cookieAttrs struct {
	path     string
	domain   string
	secure   bool
	sameSite http.SameSite
}

func (a cookieAttrs) cookie(name, value string, expires time.Time, now time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: a.path, Domain: a.domain, HttpOnly: true,
		Secure: a.secure, SameSite: a.sameSite}
	if !expires.IsZero() {
		c.Expires = expires.UTC()
		c.MaxAge = int(expires.Sub(now).Seconds())
		if c.MaxAge <= 0 {
			c.MaxAge = -1
		}
	}
	return c
}

func (a cookieAttrs) expired(name string) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: a.path, Domain: a.domain, HttpOnly: true,
		Secure: a.secure, SameSite: a.sameSite, MaxAge: -1, Expires: time.Unix(0, 0).UTC()}
}

// setCookie adds c, replacing a Set-Cookie for the same name written earlier in this response
// (a session touched by middleware and then refreshed must leave one value, the last).
func setCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	prefix := c.Name + "="
	kept := h["Set-Cookie"][:0]
	for _, v := range h["Set-Cookie"] {
		if !strings.HasPrefix(v, prefix) {
			kept = append(kept, v)
		}
	}
	if len(kept) == 0 {
		h.Del("Set-Cookie")
	} else {
		h["Set-Cookie"] = kept
	}
	if v := c.String(); v != "" {
		h.Add("Set-Cookie", v)
	}
}

// readChunked returns the value of cookie name, or the concatenation of name.0, name.1, … when
// the value was split (nextjs-auth0's chunking).
func readChunked(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil && c.Value != "" {
		return c.Value
	}
	var b strings.Builder
	for i := 0; ; i++ {
		c, err := r.Cookie(name + "." + strconv.Itoa(i))
		if err != nil {
			break
		}
		b.WriteString(c.Value)
	}
	return b.String()
}

// chunkNames lists name and name.N cookies present on the request.
func chunkNames(r *http.Request, name string) []string {
	var out []string
	for _, c := range r.Cookies() {
		if c.Name == name {
			out = append(out, c.Name)
			continue
		}
		if rest, ok := strings.CutPrefix(c.Name, name+"."); ok {
			if _, err := strconv.Atoi(rest); err == nil {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// writeChunked writes value under name, split into name.0…name.N when one cookie would exceed
// maxCookieSize, and expires the cookies of the previous layout that the new one does not reuse.
func writeChunked(w http.ResponseWriter, r *http.Request, a cookieAttrs, name, value string, expires, now time.Time) {
	stale := map[string]bool{}
	for _, n := range chunkNames(r, name) {
		stale[n] = true
	}
	chunkSize := maxCookieSize - len(a.cookie(name+".0", "", expires, now).String())
	if len(value) <= chunkSize {
		setCookie(w, a.cookie(name, value, expires, now))
		delete(stale, name)
	} else {
		for i := 0; i*chunkSize < len(value); i++ {
			end := min((i+1)*chunkSize, len(value))
			n := name + "." + strconv.Itoa(i)
			setCookie(w, a.cookie(n, value[i*chunkSize:end], expires, now))
			delete(stale, n)
		}
	}
	for n := range stale {
		setCookie(w, a.expired(n))
	}
}

// clearChunked expires name and every name.N on the request.
func clearChunked(w http.ResponseWriter, r *http.Request, a cookieAttrs, name string) {
	for _, n := range chunkNames(r, name) {
		setCookie(w, a.expired(n))
	}
}
