package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Cache lifetimes of the public documents.
//   - Discovery changes only with a new release or issuer: 5 minutes, what Auth0 suggests for
//     metadata, keeps SDK start-ups cheap.
//   - JWKS: 60 s. Rotation does not need a short lifetime (the next key is published one rotation
//     ahead, so a cached JWKS already holds the key that becomes current), but revocation does: a
//     revoked key stays trusted by a caching client for at most this long. Clients also refetch on an
//     unknown kid.
const (
	discoveryCacheControl = "public, max-age=300"
	jwksCacheControl      = "public, max-age=60"
)

// discoveryDocument is OpenID Connect Discovery 1.0 §3 metadata with Auth0's field names (spec §1.7)
// and what Gatehouse really supports (Gatehouse policy).
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	// RFC 8414 §2: the algorithms a private_key_jwt assertion may be signed with (a credential's alg).
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	// RFC 8414 §2 / RFC 7662: Auth0 has no introspection endpoint; Gatehouse's is for resource
	// servers that prefer asking.
	// RFC 9126 §5: where to push, and that the tenant does not require it of every client (a
	// client may: require_pushed_authorization_requests on the client).
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests bool   `json:"require_pushed_authorization_requests"`
	// OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens are sent, with sid.
	BackchannelLogoutSupported        bool `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported bool `json:"backchannel_logout_session_supported"`
	// RFC 9449 §5.1: the algorithms a DPoP proof may be signed with.
	DPoPSigningAlgValuesSupported             []string `json:"dpop_signing_alg_values_supported"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
}

// renderDiscovery renders the discovery document once; the issuer is fixed for the process. Endpoints
// are the issuer (with its slash) plus a relative path: never a double slash (spec §1.1).
func renderDiscovery(issuer string) ([]byte, string, error) {
	doc := discoveryDocument{
		Issuer:                                     issuer,
		AuthorizationEndpoint:                      issuer + "authorize",
		TokenEndpoint:                              issuer + "oauth/token",
		DeviceAuthorizationEndpoint:                issuer + "oauth/device/code",
		UserinfoEndpoint:                           issuer + "userinfo",
		JWKSURI:                                    issuer + ".well-known/jwks.json",
		RevocationEndpoint:                         issuer + "oauth/revoke",
		EndSessionEndpoint:                         issuer + "oidc/logout",
		ScopesSupported:                            []string{"openid", "profile", "offline_access", "name", "given_name", "family_name", "nickname", "email", "email_verified", "picture", "created_at", "identities", "phone", "address"},
		ResponseTypesSupported:                     []string{"code", "id_token", "code id_token"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		ResponseModesSupported:                     []string{"query", "fragment", "form_post", "web_message"},
		SubjectTypesSupported:                      []string{"public"},
		IDTokenSigningAlgValuesSupported:           []string{"RS256"},
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		TokenEndpointAuthSigningAlgValuesSupported: domain.CredentialAlgs,
		ClaimsSupported:                            []string{"aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name", "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number", "picture", "sub"},
		// Auth0 does not publish grant_types_supported; Gatehouse states what it supports (RFC 8414
		// §2), implicit included: the id_token and code id_token responses of clients that enable it.
		GrantTypesSupported: []string{"authorization_code", "implicit", "refresh_token", "client_credentials", "password",
			"http://auth0.com/oauth/grant-type/password-realm", "urn:ietf:params:oauth:grant-type:device_code"},
		RevocationEndpointAuthMethodsSupported:    []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		PushedAuthorizationRequestEndpoint:        issuer + "oauth/par",
		DPoPSigningAlgValuesSupported:             DPoPAlgs,
		BackchannelLogoutSupported:                true,
		BackchannelLogoutSessionSupported:         true,
		IntrospectionEndpoint:                     issuer + "oauth/introspect",
		IntrospectionEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return body, `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, nil
}

// publicDocument is a pre-rendered public document with its response header values, built once
// per version: serving it allocates nothing of its own. A header map may share the value slices
// (their capacity is their length, so an append copies; nothing writes into them).
type publicDocument struct {
	body                                          []byte
	etag                                          string
	etagV, cacheControl, contentType, length, any []string
}

func newPublicDocument(body []byte, etag, cacheControl string) *publicDocument {
	one := func(v string) []string { return []string{v}[:1:1] }
	return &publicDocument{body: body, etag: etag, etagV: one(etag), cacheControl: one(cacheControl),
		contentType: one("application/json; charset=utf-8"), length: one(strconv.Itoa(len(body))), any: one("*")}
}

func (h *Handler) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	h.discovery.serve(w, r)
}

func (h *Handler) serveJWKS(w http.ResponseWriter, r *http.Request) {
	body, etag := h.keys.JWKS()
	d := h.jwks.Load()
	if d == nil || d.etag != etag {
		d = newPublicDocument(body, etag, jwksCacheControl)
		h.jwks.Store(d)
	}
	d.serve(w, r)
}

// serve writes the document with its caching headers, answering a matching If-None-Match with 304
// (RFC 9110 §13.1.2). Anyone may read it from any origin.
func (d *publicDocument) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Cache-Control"] = d.cacheControl
	h["Etag"] = d.etagV
	h["Access-Control-Allow-Origin"] = d.any
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, d.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = d.contentType
	h["Content-Length"] = d.length // one write, no chunked framing
	_, _ = w.Write(d.body)
}

func etagMatches(header, etag string) bool {
	for header != "" {
		var v string
		v, header = cutComma(header)
		if v == "*" || v == etag || v == "W/"+etag {
			return true
		}
	}
	return false
}

func cutComma(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return trimSpace(s[:i]), s[i+1:]
		}
	}
	return trimSpace(s), ""
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
