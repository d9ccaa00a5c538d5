package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
	}
	tests := []struct {
		name    string
		remote  string
		headers map[string][]string
		want    string
	}{
		{"direct peer, no headers", "203.0.113.9:5555", nil, "203.0.113.9"},
		{"untrusted peer ignores XFF", "203.0.113.9:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "203.0.113.9"},
		{"untrusted peer ignores Forwarded", "203.0.113.9:5555",
			map[string][]string{"Forwarded": {"for=198.51.100.1"}}, "203.0.113.9"},
		{"untrusted peer ignores X-Real-IP", "203.0.113.9:5555",
			map[string][]string{"X-Real-IP": {"198.51.100.1"}}, "203.0.113.9"},
		{"trusted peer, one hop", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"spoofed left entries are skipped", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1"}}, "198.51.100.1"},
		{"trusted hops skipped right to left", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1, 10.9.9.9, 10.0.0.3"}}, "198.51.100.1"},
		{"repeated XFF lines are one list", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4", "198.51.100.1, 10.0.0.3"}}, "198.51.100.1"},
		{"all hops trusted gives leftmost", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"10.1.1.1, 10.0.0.3"}}, "10.1.1.1"},
		{"garbage stops the walk", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, garbage, 10.0.0.3"}}, "10.0.0.3"},
		{"garbage as only entry keeps peer", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"garbage"}}, "10.0.0.2"},
		{"XFF with port", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1:1234"}}, "198.51.100.1"},
		{"IPv6 XFF", "[fd00::1]:5555",
			map[string][]string{"X-Forwarded-For": {"2001:db8::7"}}, "2001:db8::7"},
		{"IPv4-mapped trusted peer", "[::ffff:10.0.0.2]:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"Forwarded", "10.0.0.2:5555",
			map[string][]string{"Forwarded": {`for=1.2.3.4, for=198.51.100.1;proto=https;by=10.0.0.2`}}, "198.51.100.1"},
		{"Forwarded quoted IPv6 with port", "10.0.0.2:5555",
			map[string][]string{"Forwarded": {`For="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17"},
		{"Forwarded obfuscated stops the walk", "10.0.0.2:5555",
			map[string][]string{"Forwarded": {`for=198.51.100.1, for=_hidden, for=10.0.0.3`}}, "10.0.0.3"},
		{"Forwarded unknown keeps peer", "10.0.0.2:5555",
			map[string][]string{"Forwarded": {`for=unknown`}}, "10.0.0.2"},
		{"XFF wins over Forwarded", "10.0.0.2:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=198.51.100.2"}}, "198.51.100.1"},
		{"X-Real-IP", "10.0.0.2:5555",
			map[string][]string{"X-Real-IP": {"198.51.100.1"}}, "198.51.100.1"},
		{"bad X-Real-IP keeps peer", "10.0.0.2:5555",
			map[string][]string{"X-Real-IP": {"nope"}}, "10.0.0.2"},
	}
	var got netip.Addr
	srv := httpserver.New(httpserver.Options{TrustedProxies: trusted}, httpserver.MounterFunc(func(mux *http.ServeMux) {
		mux.HandleFunc("GET /ip", func(w http.ResponseWriter, r *http.Request) { got = httpserver.ClientIP(r.Context()) })
	}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = netip.Addr{}
			r := httptest.NewRequest(http.MethodGet, "/ip", nil)
			r.RemoteAddr = tt.remote
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
			if got.String() != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClientIPNoTrustedProxies(t *testing.T) {
	var got netip.Addr
	srv := httpserver.New(httpserver.Options{}, httpserver.MounterFunc(func(mux *http.ServeMux) {
		mux.HandleFunc("GET /ip", func(w http.ResponseWriter, r *http.Request) { got = httpserver.ClientIP(r.Context()) })
	}))
	r := httptest.NewRequest(http.MethodGet, "/ip", nil)
	r.RemoteAddr = "127.0.0.1:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
	if got.String() != "127.0.0.1" {
		t.Errorf("ClientIP = %s, want the direct peer 127.0.0.1", got)
	}
}

// TestClientIPAlwaysSet: the middleware gives every request an address, so handlers need no
// fallback to RemoteAddr.
func TestClientIPAlwaysSet(t *testing.T) {
	var got netip.Addr
	srv := httpserver.New(httpserver.Options{}, httpserver.MounterFunc(func(mux *http.ServeMux) {
		mux.HandleFunc("GET /ip", func(w http.ResponseWriter, r *http.Request) { got = httpserver.ClientIP(r.Context()) })
	}))
	r := httptest.NewRequest(http.MethodGet, "/ip", nil)
	r.RemoteAddr = "@"
	srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
	if !got.IsValid() {
		t.Errorf("ClientIP = %v for a peer that is not an IP", got)
	}
}
