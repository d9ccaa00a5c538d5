package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

// BenchmarkEdge is the middleware alone (request id, client address, security headers, metrics,
// the access log at its quiet level) around a handler that writes a prebuilt body: what every
// request pays before its handler. The recorder's own allocations (3) are included.
//
//	go test -run x -bench Edge -benchmem ./internal/httpserver/
func BenchmarkEdge(b *testing.B) {
	body := []byte(`{"keys":[]}`)
	srv := httpserver.New(httpserver.Options{Logger: httpserver.NewLogger("json", "info", discard{})},
		httpserver.MounterFunc(func(mux *http.ServeMux) {
			mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
		}))
	h := srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
