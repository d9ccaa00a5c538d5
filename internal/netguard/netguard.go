// Package netguard decides which addresses a node may connect to when a tenant's configuration
// names the destination (a log stream's endpoint, later an Action's fetch): never the node's own
// network — loopback, private, link-local, carrier-grade NAT, multicast, unspecified and reserved
// ranges — unless the node runs in development. The check is made on the address actually
// dialled, after DNS resolution, in the dialer's Control hook, so a name that resolves to a
// private address (or is re-pointed to one after a check) is refused at connect time.
//
// It owns no HTTP routing and no configuration; callers choose AllowPrivate (gatehouse dev).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbidden is wrapped by every refusal.
var ErrForbidden = errors.New("destination not allowed")

// blocked are the ranges a tenant may not make a node connect to.
var blocked = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "100::/64", "2001:db8::/32",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// nat64 carries an IPv4 address in its last 32 bits; the embedded address is what is reached.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Allowed reports whether a node may connect to a on a tenant's behalf in production.
func Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Policy is the rule for one node.
type Policy struct {
	// AllowPrivate lets every address through (development, where the destination is often a
	// program on the same machine).
	AllowPrivate bool
	// Resolver resolves names for CheckURL; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// CheckURL refuses a URL that is not http(s), or whose host is, or resolves to, an address the
// node may not reach. It is an early, friendly check for a configuration write; the dialer's
// check (Client) is what holds at connect time.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%w: not an http(s) URL", ErrForbidden)
	}
	if p.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if !Allowed(a) {
			return fmt.Errorf("%w: %s is a private, loopback or reserved address", ErrForbidden, host)
		}
		return nil
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: %s does not resolve", ErrForbidden, host)
	}
	for _, a := range addrs {
		if !Allowed(a) {
			return fmt.Errorf("%w: %s resolves to a private, loopback or reserved address", ErrForbidden, host)
		}
	}
	return nil
}

// control refuses, at connect time, an address the node may not reach.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	if p.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbidden, address)
	}
	return nil
}

// Client is an HTTP client that connects only where the policy allows, whatever DNS says at the
// moment of the request: no proxy from the environment (it would connect on the tenant's
// behalf), no redirects (a redirect is the destination's answer, not a new destination), and a
// whole-request timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Dialer returns a DialContext that connects only where the policy allows, except to the hosts
// trusted names (compared case-insensitively with the host being dialled, before resolution):
// a tenant's allow-list may name an internal service it means to reach. Every other address is
// checked after DNS resolution, at connect time, as Client does.
func (p Policy) Dialer(trusted []string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	guarded := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	open := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	allow := make(map[string]bool, len(trusted))
	for _, h := range trusted {
		allow[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrForbidden, addr)
		}
		if allow[strings.ToLower(host)] {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}
