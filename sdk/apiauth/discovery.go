package apiauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Well-known metadata locations: OpenID Connect Discovery 1.0 §4 and the OAuth
// 2.0 Authorization Server Metadata of RFC 8414 §3.
const (
	oidcDiscoveryPath   = "/.well-known/openid-configuration"
	oauthMetadataPrefix = "/.well-known/oauth-authorization-server"
)

// metadata is the part of the discovery document this package uses.
type metadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// metadataURLs lists where to look for metadata, in order, as
// express-oauth2-jwt-bearer does: a URL already pointing into /.well-known/ is
// used as is; otherwise the OIDC location appended to the base path (the
// trailing slash of "https://DOMAIN/" is not doubled), then the RFC 8414
// location with the base path appended.
func metadataURLs(base string) ([]string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if strings.Contains(u.Path, "/.well-known/") {
		return []string{u.String()}, nil
	}
	p := strings.TrimRight(u.Path, "/")
	oidc, oauth := *u, *u
	oidc.Path, oidc.RawPath = p+oidcDiscoveryPath, ""
	oauth.Path, oauth.RawPath = oauthMetadataPrefix+p, ""
	return []string{oidc.String(), oauth.String()}, nil
}

// discover fetches the metadata and checks it. Unless Config.Issuer overrides
// it, the advertised issuer must be the base URL (OIDC Discovery §4.3, RFC 8414
// §3.3), compared without trailing slashes, because the base URL is written
// with or without one while Auth0's issuer always carries it.
func discover(ctx context.Context, s settings) (metadata, error) {
	urls, err := metadataURLs(s.IssuerBaseURL)
	if err != nil {
		return metadata{}, fmt.Errorf("IssuerBaseURL: %w", err)
	}
	var errs []error
	for _, u := range urls {
		var md metadata
		if _, err := getJSON(ctx, s.HTTPClient, s.FetchTimeout, u, &md); err != nil {
			errs = append(errs, err)
			continue
		}
		if md.Issuer == "" {
			return metadata{}, fmt.Errorf("%s: metadata has no issuer", u)
		}
		if md.JWKSURI == "" {
			return metadata{}, fmt.Errorf("%s: metadata has no jwks_uri", u)
		}
		if err := checkHTTPURL(md.JWKSURI); err != nil {
			return metadata{}, fmt.Errorf("%s: jwks_uri: %w", u, err)
		}
		if s.Issuer == "" && !strings.Contains(s.IssuerBaseURL, "/.well-known/") &&
			strings.TrimRight(md.Issuer, "/") != strings.TrimRight(s.IssuerBaseURL, "/") {
			return metadata{}, fmt.Errorf("%s: metadata issuer %q does not match IssuerBaseURL %q (set Config.Issuer to accept it)",
				u, md.Issuer, s.IssuerBaseURL)
		}
		return md, nil
	}
	return metadata{}, errors.Join(errs...)
}
