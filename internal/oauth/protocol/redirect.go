package protocol

import (
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// RedirectURIAllowed reports whether raw may receive an authorization response for c. It must
// equal one registered callback byte for byte — no case folding, no trailing-slash, dot-segment or
// percent-encoding normalisation, no prefix or wildcard matching (RFC 9700 §4.1.3, RFC 6749
// §3.1.2.3) — with one exception, for native apps only: a loopback callback registered without a
// port matches the same URI with any port (LoopbackMatches).
func RedirectURIAllowed(c *domain.Client, raw string) bool {
	if raw == "" || c == nil {
		return false
	}
	if c.HasCallback(raw) {
		return true
	}
	if c.AppType != domain.AppTypeNative {
		return false
	}
	for _, cb := range c.Callbacks {
		if LoopbackMatches(cb, raw) {
			return true
		}
	}
	return false
}

// loopbackHosts are the hosts whose port a native app may choose at run time, spelled as they must
// be registered and sent: the IPv4 and IPv6 loopback literals (RFC 8252 §7.3) and, as Auth0 allows,
// localhost (§8.3 discourages it: it may resolve elsewhere, but the request is made by the app).
var loopbackHosts = []string{"127.0.0.1", "[::1]", "localhost"}

// LoopbackMatches reports whether requested is registered with a port added: RFC 8252 §7.3 — a
// native app listens on an ephemeral port of the loopback interface, so the authorization server
// "MUST allow any port to be specified at the time of the request for loopback IP redirect URIs".
// registered must be http://HOST[/path][?query] with HOST one of loopbackHosts and no port;
// requested must be the same string with ":PORT" (1–65535, decimal, no leading zero) right after
// HOST, and nothing else changed. Everything is compared byte for byte, so a look-alike host
// (127.0.0.1.evil.test), user information (127.0.0.1:80@evil.test), another scheme, or a changed
// path or query never matches.
func LoopbackMatches(registered, requested string) bool {
	for _, host := range loopbackHosts {
		prefix := "http://" + host
		rest, ok := strings.CutPrefix(registered, prefix)
		if !ok || (rest != "" && rest[0] != '/' && rest[0] != '?') {
			continue
		}
		afterHost, ok := strings.CutPrefix(requested, prefix+":")
		if !ok {
			return false
		}
		port, tail, _ := cutDigits(afterHost)
		return tail == rest && validPort(port)
	}
	return false
}

// cutDigits splits s after its leading ASCII digits.
func cutDigits(s string) (digits, tail string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:], i > 0
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
