package domain

import (
	"net"
	"net/url"
	"strings"
)

// URL rules for callbacks, logout URLs and origins (spec §3.1, with the Gatehouse policy): every entry
// is an exact absolute URL; a `*` anywhere is refused, since a wildcard lets an attacker who controls
// any matching host receive codes; fragments are refused (RFC 6749 §3.1.2); plain http is allowed only
// for loopback hosts; custom schemes only for native apps, which receive callbacks through the OS.

// IsLoopbackHost reports whether host (without port) is localhost or a loopback IP address.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidateAppURL checks one callback or logout URL for an app of appType.
func ValidateAppURL(field, raw, appType string) *Error {
	if raw == "" {
		return Invalidf(field, "an empty URL is not allowed")
	}
	if strings.Contains(raw, "*") {
		return Invalidf(field, "%q contains a wildcard (*); only exact URLs are allowed", raw)
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return Invalidf(field, "%q contains white space", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return Invalidf(field, "%q is not an absolute URL", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return Invalidf(field, "%q has a fragment (#...); fragments are not allowed", raw)
	}
	if u.User != nil {
		return Invalidf(field, "%q has user information (user@host); it is not allowed", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return Invalidf(field, "%q has no host", raw)
		}
	case "http":
		if u.Host == "" {
			return Invalidf(field, "%q has no host", raw)
		}
		if !IsLoopbackHost(u.Hostname()) {
			return Invalidf(field, "%q uses http; only https is allowed except for localhost and loopback addresses", raw)
		}
	default:
		if appType != AppTypeNative {
			return Invalidf(field, "%q uses the scheme %q; custom schemes are allowed only for native apps", raw, u.Scheme)
		}
		if strings.EqualFold(u.Scheme, "javascript") || strings.EqualFold(u.Scheme, "data") || strings.EqualFold(u.Scheme, "file") {
			return Invalidf(field, "%q uses the scheme %q, which is never allowed", raw, u.Scheme)
		}
	}
	return nil
}

// ValidateOrigin checks one web origin or allowed (CORS) origin: scheme://host[:port], nothing more.
func ValidateOrigin(field, raw, appType string) *Error {
	if e := ValidateAppURL(field, raw, appType); e != nil {
		return e
	}
	u, _ := url.Parse(raw)
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return Invalidf(field, "%q is not an origin; use scheme://host[:port] without a path or query", raw)
	}
	return nil
}

func validateURLList(errs *Errors, field string, list []string, appType string, check func(string, string, string) *Error) {
	seen := make(map[string]bool, len(list))
	for i, raw := range list {
		f := field + "[" + itoa(i) + "]"
		errs.add(check(f, raw, appType))
		if seen[raw] {
			errs.add(Invalidf(f, "%q is listed twice", raw))
		}
		seen[raw] = true
	}
}

// SameLogoutURL reports whether a returnTo / post_logout_redirect_uri matches a registered logout URL.
// Matching is exact, with one normalisation: `https://host` and `https://host/` are the same URL.
func SameLogoutURL(registered, candidate string) bool {
	if registered == candidate {
		return true
	}
	return withRootSlash(registered) == withRootSlash(candidate)
}

func withRootSlash(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return raw
	}
	if u.Path == "" && u.RawQuery == "" && !u.ForceQuery {
		return raw + "/"
	}
	return raw
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
