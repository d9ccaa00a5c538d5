package protocol_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// RFC 7636 Appendix B.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestS256(t *testing.T) {
	if got := protocol.S256(rfcVerifier); got != rfcChallenge {
		t.Fatalf("S256 = %q", got)
	}
}

func TestValidChallenge(t *testing.T) {
	for _, tc := range []struct {
		name, method, challenge string
		ok                      bool
	}{
		{"S256 of RFC 7636 B", "S256", rfcChallenge, true},
		{"S256 is exactly 43", "S256", rfcChallenge + "A", false},
		{"S256 of 128 characters", "S256", strings.Repeat("a", 128), false},
		{"S256 of 42", "S256", rfcChallenge[:42], false},
		{"S256 with padding", "S256", rfcChallenge[:42] + "=", false},
		{"S256 with unreserved but not base64url", "S256", rfcChallenge[:42] + "~", false},
		{"plain syntax: 43", "plain", strings.Repeat("a", 43), true},
		{"plain syntax: 128 unreserved", "plain", strings.Repeat("a.~-_", 25) + "abc", true},
		{"plain syntax: 129", "plain", strings.Repeat("a", 129), false},
		{"plain syntax: 42", "plain", strings.Repeat("a", 42), false},
		{"plain syntax: space", "plain", strings.Repeat("a", 42) + " ", false},
	} {
		if got := protocol.ValidChallenge(tc.method, tc.challenge); got != tc.ok {
			t.Errorf("%s: ValidChallenge = %v", tc.name, got)
		}
	}
}

func TestCheckChallenge(t *testing.T) {
	public := &domain.Client{TokenEndpointAuthMethod: "none"}
	confidential := &domain.Client{TokenEndpointAuthMethod: "client_secret_post"}
	for _, tc := range []struct {
		name              string
		c                 *domain.Client
		challenge, method string
		want              string // "" means accepted; else a part of the description
	}{
		{"S256", public, rfcChallenge, "S256", ""},
		{"confidential without PKCE", confidential, "", "", ""},
		{"public without PKCE", public, "", "", "required for public clients"},
		{"method without challenge", confidential, "", "S256", "Missing required parameter: code_challenge"},
		{"plain", public, rfcChallenge, "plain", "plain is not supported"},
		{"no method means plain", public, rfcChallenge, "", "plain is not supported"},
		{"unknown method", public, rfcChallenge, "S512", "Unsupported code_challenge_method: S512"},
		{"S256 of 44 characters", public, rfcChallenge + "A", "S256", "exactly 43 for S256"},
		{"S256 of 128 characters", public, strings.Repeat("a", 128), "S256", "43 to 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := protocol.CheckChallenge(tc.c, tc.challenge, tc.method)
			switch {
			case tc.want == "" && e != nil:
				t.Fatalf("refused: %v", e)
			case tc.want != "" && (e == nil || e.Code != "invalid_request" || e.Status != 400 || !strings.Contains(e.Description, tc.want)):
				t.Fatalf("got %v, want %q", e, tc.want)
			}
		})
	}
}

func TestCheckVerifier(t *testing.T) {
	public := &domain.Client{TokenEndpointAuthMethod: "none"}
	confidential := &domain.Client{TokenEndpointAuthMethod: "client_secret_post"}
	for _, tc := range []struct {
		name                        string
		c                           *domain.Client
		challenge, method, verifier string
		ok                          bool
	}{
		{"RFC 7636 B", public, rfcChallenge, "S256", rfcVerifier, true},
		{"wrong verifier", public, rfcChallenge, "S256", strings.Repeat("a", 43), false},
		{"no verifier", public, rfcChallenge, "S256", "", false},
		{"verifier too short", public, protocol.S256("abc"), "S256", "abc", false},
		{"verifier too long", public, protocol.S256(strings.Repeat("a", 129)), "S256", strings.Repeat("a", 129), false},
		{"verifier outside unreserved", public, protocol.S256(strings.Repeat("a", 42) + "+"), "S256", strings.Repeat("a", 42) + "+", false},
		{"plain challenge stored", public, rfcVerifier, "plain", rfcVerifier, false},
		{"confidential without PKCE", confidential, "", "", "", true},
		{"verifier without a challenge: downgrade", confidential, "", "", rfcVerifier, false},
		{"public without PKCE", public, "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := protocol.CheckVerifier(tc.c, tc.challenge, tc.method, tc.verifier)
			if (e == nil) != tc.ok {
				t.Fatalf("got %v", e)
			}
			if e != nil && (e.Code != "invalid_grant" || e.Description != protocol.DescCodeVerifier) {
				t.Fatalf("got %+v", e)
			}
		})
	}
}
