package oauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func FuzzBasicCredentials(f *testing.F) {
	f.Add("Basic YTpi")
	f.Add("basic JTNBOiUzQQ==")
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
		r.Header.Set("Authorization", h)
		id, _, ok, err := basicCredentials(r)
		if err != nil && (err.Status != 401 || !ok) {
			t.Fatalf("error %+v", err)
		}
		if ok && err == nil && id == "" {
			t.Fatal("empty client id accepted")
		}
	})
}
