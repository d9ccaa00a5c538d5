package app_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPublicDocuments: the whole handler (middleware included) serving the JWKS and the
// discovery document, without the network: what one request costs the server's CPU.
//
//	go test -run x -bench PublicDocuments -count 3 ./internal/app/
func BenchmarkPublicDocuments(b *testing.B) {
	for name, path := range map[string]string{"jwks": "/.well-known/jwks.json", "discovery": "/.well-known/openid-configuration"} {
		b.Run(name, func(b *testing.B) {
			n := startNode(b)
			h := n.Handler()
			req := httptest.NewRequest(http.MethodGet, path, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
