package protocol

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// MethodS256 is the one code_challenge_method Gatehouse accepts (RFC 7636 §4.2; plain is refused
// by policy, as OAuth 2.0 Security BCP RFC 9700 §2.1.1 recommends).
const MethodS256 = "S256"

// ValidChallenge applies RFC 7636 §4.2's syntax to a code_challenge: 43 to 128 unreserved
// characters, and for S256, BASE64URL(SHA256(verifier)) without padding, exactly 43 base64url
// characters.
func ValidChallenge(method, challenge string) bool {
	if method == MethodS256 {
		return len(challenge) == 43 && base64URL(challenge)
	}
	return unreserved(challenge)
}

// ValidVerifier applies RFC 7636 §4.1's syntax to a code_verifier: 43 to 128 unreserved characters.
func ValidVerifier(v string) bool { return unreserved(v) }

// unreserved: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~" (RFC 7636 §4.1).
func unreserved(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '-', b == '.', b == '_', b == '~':
		default:
			return false
		}
	}
	return true
}

func base64URL(v string) bool {
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '-', b == '_':
		default:
			return false
		}
	}
	return true
}

// CheckChallenge is the /authorize half of PKCE with the Gatehouse policy: S256 only, required for
// public clients (spec §1.1). A challenge without a method means plain (RFC 7636 §4.3), which is
// refused. Nil means the request may proceed, with or without a challenge.
func CheckChallenge(c *domain.Client, challenge, method string) *Error {
	switch {
	case challenge == "" && method != "":
		return MissingParameter("code_challenge")
	case challenge == "":
		if !c.IsConfidential() {
			return InvalidRequest("Missing required parameter: code_challenge (PKCE with S256 is required for public clients)")
		}
		return nil
	case method == "" || method == "plain":
		return InvalidRequest("code_challenge_method must be S256; plain is not supported")
	case method != MethodS256:
		return InvalidRequest("Unsupported code_challenge_method: %s", Truncate(method, 32))
	case !ValidChallenge(method, challenge):
		return InvalidRequest("code_challenge must be 43 to 128 base64url characters, exactly 43 for S256")
	}
	return nil
}

// CheckVerifier is the token endpoint half (RFC 7636 §4.6): the code_verifier against the challenge
// stored with the code, S256 only, compared in constant time. A verifier without a challenge is
// refused too, so that a downgrade cannot pass unnoticed, and a public client must have used PKCE.
func CheckVerifier(c *domain.Client, challenge, method, verifier string) *Error {
	if challenge == "" {
		if verifier != "" || !c.IsConfidential() {
			return InvalidGrant(DescCodeVerifier)
		}
		return nil
	}
	if method != MethodS256 || !ValidVerifier(verifier) {
		return InvalidGrant(DescCodeVerifier)
	}
	if subtle.ConstantTimeCompare([]byte(S256(verifier)), []byte(challenge)) != 1 {
		return InvalidGrant(DescCodeVerifier)
	}
	return nil
}

// S256 is the S256 code_challenge of verifier: BASE64URL-ENCODE(SHA256(ASCII(verifier))) (RFC 7636
// §4.2).
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
