package httpserver

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwardedClient returns the address of the client that made r, whose direct peer is the
// trusted proxy peer. Forwarding headers are believed only from a trusted proxy, since anyone else
// can write them (the edge passes the peer itself as the client otherwise). The X-Forwarded-For
// chain is walked from the right (the hop nearest to us) and trusted proxies are skipped; the first
// untrusted address is the client. A malformed entry ends the walk: what lies to its left was
// written by someone we cannot vouch for.
//
// Headers are consulted in order X-Forwarded-For, Forwarded (RFC 7239),
// X-Real-IP; the first one present decides.
func forwardedClient(r *http.Request, peer netip.Addr, trusted []netip.Prefix) netip.Addr {
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return walk(peer, splitComma(xff), parseHostPort, trusted)
	}
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		return walk(peer, splitComma(fwd), parseForwardedFor, trusted)
	}
	if xr := strings.TrimSpace(r.Header.Get("X-Real-IP")); xr != "" {
		if a := parseHostPort(xr); a.IsValid() {
			return a
		}
	}
	return peer
}

// walk scans hops right to left, starting after the trusted peer.
func walk(peer netip.Addr, hops []string, parse func(string) netip.Addr, trusted []netip.Prefix) netip.Addr {
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parse(hops[i])
		if !a.IsValid() {
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// splitComma flattens repeated header lines into one list of elements.
func splitComma(values []string) []string {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// parseHostPort accepts "ip", "ip:port" and "[ipv6]:port", returning an
// unmapped address (so ::ffff:10.0.0.1 matches 10.0.0.0/8) without zone.
// The usual shape (a peer's "ip:port") is parsed first, without building an error value.
func parseHostPort(s string) netip.Addr {
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr().Unmap().WithZone("")
		}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// parseForwardedFor extracts the "for" node of one forwarded-element
// (RFC 7239 §4, §6): for=192.0.2.60, for="[2001:db8::17]:4711". Obfuscated
// identifiers and "unknown" (§6.2, §6.3) do not parse and so end the walk.
func parseForwardedFor(element string) netip.Addr {
	for _, pair := range strings.Split(element, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "for") {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if strings.HasPrefix(v, "[") {
			if end := strings.IndexByte(v, ']'); end > 0 {
				a, err := netip.ParseAddr(v[1:end])
				if err != nil {
					return netip.Addr{}
				}
				return a.Unmap().WithZone("")
			}
			return netip.Addr{}
		}
		return parseHostPort(v)
	}
	return netip.Addr{}
}
