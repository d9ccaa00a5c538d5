package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

// issuer + "/.well-known/…" with the issuer's trailing slash gives "//.well-known/…": it is answered
// where it points, not redirected; any other doubled slash keeps ServeMux's redirect (307).
func TestDoubleSlashWellKnown(t *testing.T) {
	srv, _ := MustServer(t, httpserver.Options{}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "discovery")
		})
		mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "jwks")
		})
		mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "userinfo")
		})
	})
	for _, tc := range []struct {
		path     string
		status   int
		body     string
		location string
	}{
		{"/.well-known/openid-configuration", 200, "discovery", ""},
		{"//.well-known/openid-configuration", 200, "discovery", ""},
		{"//.well-known/jwks.json", 200, "jwks", ""},
		{"//.well-known/nothing", 404, "", ""},
		{"//userinfo", 307, "", "/userinfo"},
		{"///.well-known/openid-configuration", 307, "", "/.well-known/openid-configuration"},
		{"//.well-known/../userinfo", 307, "", "/userinfo"},
	} {
		w := serve(srv, httptest.NewRequest(http.MethodGet, "http://gatehouse.test"+tc.path, nil))
		if w.Code != tc.status || (tc.body != "" && w.Body.String() != tc.body) || w.Header().Get("Location") != tc.location {
			t.Errorf("%s: %d %q Location %q, want %d %q %q", tc.path, w.Code, w.Body.String(), w.Header().Get("Location"), tc.status, tc.body, tc.location)
		}
	}
}
