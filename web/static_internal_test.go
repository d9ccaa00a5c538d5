package web

import "testing"

// TestStaticContentType: the pages' own file types are named without the system's MIME
// databases, and an unknown extension is served as bytes.
func TestStaticContentType(t *testing.T) {
	for ext, want := range map[string]string{
		".css": "text/css; charset=utf-8", ".JS": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
		".woff2": "font/woff2", ".gatehouse-unknown": "application/octet-stream",
	} {
		if got := staticContentType(ext); got != want {
			t.Errorf("%s: %q, want %q", ext, got, want)
		}
	}
}
