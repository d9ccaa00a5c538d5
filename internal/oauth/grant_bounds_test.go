package oauth_test

import (
	"strings"
	"testing"
)

// TestCodeReplayRevokesOnlyForItsOwnClient: replaying a spent code revokes what it issued only when
// the client it was issued to presents it; anyone else holding the code (with another client's
// credentials, or a public client's id without the PKCE verifier) changes nothing.
func TestCodeReplayRevokesOnlyForItsOwnClient(t *testing.T) {
	e := MustEnv(t, envOptions{})
	full := "openid offline_access read:a"

	t.Run("another confidential client", func(t *testing.T) {
		code := e.mintCode(t, codeSpec{scope: full, audience: apiID})
		first := e.exchange(t, webID, code, webCB, "")
		rt, _ := first.body["refresh_token"].(string)
		if first.status != 200 || rt == "" {
			t.Fatalf("%d %s", first.status, first.raw)
		}
		wantError(t, e.exchange(t, otherWebID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
		if a := e.refresh(t, webID, rt); a.status != 200 {
			t.Fatalf("the owner's refresh token after another client replayed the code: %d %s", a.status, a.raw)
		}
	})
	t.Run("public client without its verifier", func(t *testing.T) {
		code := e.mintCode(t, codeSpec{client: spaID, redirect: spaCB, scope: full, audience: apiID, verifier: verifier})
		first := e.exchange(t, spaID, code, spaCB, verifier)
		rt, _ := first.body["refresh_token"].(string)
		if first.status != 200 || rt == "" {
			t.Fatalf("%d %s", first.status, first.raw)
		}
		wantError(t, e.exchange(t, spaID, code, spaCB, strings.Repeat("x", 43)), 400, "invalid_grant", "Invalid authorization code")
		next := e.refresh(t, spaID, rt)
		if next.status != 200 {
			t.Fatalf("refresh after a verifier-less replay: %d %s", next.status, next.raw)
		}
		// The real client replaying its own code (verifier and all) is the theft signal: revoke.
		wantError(t, e.exchange(t, spaID, code, spaCB, verifier), 400, "invalid_grant", "Invalid authorization code")
		if a := e.refresh(t, spaID, next.body["refresh_token"].(string)); a.status != 400 {
			t.Fatalf("refresh after the owner's replay: %d %s, want the family revoked", a.status, a.raw)
		}
	})
}
