package oauth

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// DPoP (RFC 9449): proofs of possession at the token endpoint and /userinfo.
const (
	// dpopMaxAge is how old a proof's iat may be, and dpopLeeway how far ahead of this node's clock
	// (RFC 9449 §11.1: a short window; the jti cache holds each proof for that long).
	dpopMaxAge = 2 * time.Minute
	dpopLeeway = 30 * time.Second
	// dpopNonceWindow is how long a server nonce stays current; the previous one is still accepted.
	dpopNonceWindow = 5 * time.Minute
)

// DPoPAlgs are the proof algorithms accepted: asymmetric only (RFC 9449 §4.3: never none or a MAC).
var DPoPAlgs = []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}

// dpopProof is what a verified proof establishes: the key's RFC 7638 thumbprint.
type dpopProof struct {
	JKT string
}

type dpopClaims struct {
	jwt.RegisteredClaims
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	ATH   string `json:"ath"`
	Nonce string `json:"nonce"`
}

func invalidProof(description string) *protocol.Error {
	return protocol.NewError(http.StatusBadRequest, "invalid_dpop_proof", description)
}

// errUseNonce is RFC 9449 §8's answer: retry with the nonce in the DPoP-Nonce header.
func errUseNonce() *protocol.Error {
	return protocol.NewError(http.StatusBadRequest, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof")
}

// checkDPoP verifies the request's DPoP proof (RFC 9449 §4.3), if it has one: nil, nil without.
// accessToken, when set, is the token the proof must be bound to (ath, §4.2). A proof is accepted
// once across every node (its jti, by key), only for this method and URL, within the iat window,
// with a current server nonce when nonces are required, and only when its key is a public
// asymmetric key.
func (h *Handler) checkDPoP(r *http.Request, accessToken string) (*dpopProof, *protocol.Error) {
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, invalidProof("Only one DPoP header is allowed")
	}
	var (
		claims dpopClaims
		jwk    jose.JSONWebKey
	)
	parser := jwt.NewParser(jwt.WithValidMethods(DPoPAlgs), jwt.WithoutClaimsValidation())
	_, err := parser.ParseWithClaims(vals[0], &claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "dpop+jwt" {
			return nil, errors.New("DPoP proof typ must be dpop+jwt")
		}
		raw, ok := t.Header["jwk"].(map[string]any)
		if !ok {
			return nil, errors.New("DPoP proof has no jwk header")
		}
		b, _ := json.Marshal(raw)
		if err := jwk.UnmarshalJSON(b); err != nil || !jwk.Valid() {
			return nil, errors.New("DPoP proof jwk is not a valid key")
		}
		if !jwk.IsPublic() {
			return nil, errors.New("DPoP proof jwk must be a public key, never a private one")
		}
		return jwk.Key, nil
	})
	if err != nil {
		desc := "DPoP proof signature or format invalid"
		for _, w := range []string{"typ must be", "no jwk", "not a valid key", "never a private", "signing method"} {
			if strings.Contains(err.Error(), w) {
				desc = strings.TrimPrefix(err.Error(), "token is unverifiable: error while executing keyfunc: ")
				break
			}
		}
		return nil, invalidProof(desc)
	}
	if claims.ID == "" || len(claims.ID) > 256 {
		return nil, invalidProof("DPoP proof jti is missing or too long")
	}
	if claims.HTM != r.Method {
		return nil, invalidProof("DPoP proof htm does not match the request method")
	}
	if !sameHTU(claims.HTU, h.issuer+strings.TrimPrefix(r.URL.Path, "/")) {
		return nil, invalidProof("DPoP proof htu does not match the request URL")
	}
	now := h.now()
	if claims.IssuedAt == nil {
		return nil, invalidProof("DPoP proof has no iat")
	}
	iat := claims.IssuedAt.Time
	if iat.Before(now.Add(-dpopMaxAge)) || iat.After(now.Add(dpopLeeway)) {
		if h.dpopNonce != nil {
			// A client whose clock is off recovers with a nonce (RFC 9449 §11.1).
			return nil, errUseNonce()
		}
		return nil, invalidProof("DPoP proof iat is too old or in the future")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if subtle.ConstantTimeCompare([]byte(claims.ATH), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) != 1 {
			return nil, invalidProof("DPoP proof ath does not match the access token")
		}
	}
	if h.dpopNonce != nil && !h.dpopNonce.valid(claims.Nonce, now) {
		return nil, errUseNonce()
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, invalidProof("DPoP proof jwk has no thumbprint")
	}
	jkt := base64.RawURLEncoding.EncodeToString(tp)
	key := domain.HashSecret("dpop\x00" + jkt + "\x00" + claims.ID)
	switch err := h.store.UseOnce(r.Context(), key, iat.Add(dpopMaxAge+dpopLeeway), now); {
	case errors.Is(err, store.ErrAlreadyUsed):
		return nil, invalidProof("DPoP proof has already been used (jti)")
	case err != nil:
		return nil, protocol.ServerError(err)
	}
	return &dpopProof{JKT: jkt}, nil
}

// sameHTU compares a proof's htu with the URL requested, ignoring query and fragment, with scheme
// and host compared case-insensitively and default ports dropped (RFC 9449 §4.3, RFC 3986 §6.2.3).
func sameHTU(htu, want string) bool {
	a, err1 := url.Parse(htu)
	b, err2 := url.Parse(want)
	if err1 != nil || err2 != nil || a.Scheme == "" || a.Host == "" {
		return false
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && hostPort(a) == hostPort(b) && a.EscapedPath() == b.EscapedPath()
}

func hostPort(u *url.URL) string {
	h, p := strings.ToLower(u.Hostname()), u.Port()
	if (p == "443" && strings.EqualFold(u.Scheme, "https")) || (p == "80" && strings.EqualFold(u.Scheme, "http")) {
		p = ""
	}
	return h + ":" + p
}

// dpopNonces are server nonces (RFC 9449 §8) every node computes alike from a shared key: an HMAC
// of the current time window, so no node needs to remember which it handed out.
type dpopNonces struct{ key []byte }

func (n *dpopNonces) at(t time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.Unix()/int64(dpopNonceWindow/time.Second)))
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte("gatehouse dpop nonce\x00"))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (n *dpopNonces) current(now time.Time) string { return n.at(now) }

func (n *dpopNonces) valid(nonce string, now time.Time) bool {
	if nonce == "" {
		return false
	}
	ok := subtle.ConstantTimeCompare([]byte(nonce), []byte(n.at(now))) == 1
	return subtle.ConstantTimeCompare([]byte(nonce), []byte(n.at(now.Add(-dpopNonceWindow)))) == 1 || ok
}

// setDPoPNonce offers the current nonce on a response (RFC 9449 §8.2), when nonces are on.
func (h *Handler) setDPoPNonce(w http.ResponseWriter) {
	if h.dpopNonce != nil {
		w.Header().Set("DPoP-Nonce", h.dpopNonce.current(h.now()))
	}
}
