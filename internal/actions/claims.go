package actions

import (
	"net/url"
	"strings"
)

// restrictedClaims is Auth0's list of claim names an Action may not set; a claim with
// one of these names is dropped silently and the login goes on
// (spec §2.5, [DOC:Create Custom Claims]).
var restrictedClaims = func() map[string]struct{} {
	names := strings.Fields(`acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash
		client_id cnf cty dest entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe
		jwk kid may_act mky nbf nonce object_id org_id org_name orig origid permissions roles rph s_hash sid
		sip_callid sip_cseq_num sip_date sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256`)
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}()

// IsRestrictedClaim reports whether name is on Auth0's restricted claim list. The
// comparison is exact: Auth0 claim names are case-sensitive.
func IsRestrictedClaim(name string) bool {
	_, ok := restrictedClaims[name]
	return ok
}

// auth0Namespace reports whether a namespaced claim uses a namespace Auth0 reserves
// for itself (auth0.com, webtask.io, webtask.run and their subdomains, or urn:auth0);
// Auth0 drops such claims like restricted ones (spec §2.5).
func auth0Namespace(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "urn:auth0") {
		return true
	}
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return false
	}
	u, err := url.Parse(lower)
	if err != nil {
		return false
	}
	host := u.Hostname()
	for _, d := range []string{"auth0.com", "webtask.io", "webtask.run"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// claimDropReason says why a claim name cannot be set, or "" when it can.
func claimDropReason(name string) string {
	switch {
	case name == "":
		return "empty claim name"
	case IsRestrictedClaim(name):
		return "restricted claim"
	case auth0Namespace(name):
		return "reserved Auth0 namespace"
	}
	return ""
}
