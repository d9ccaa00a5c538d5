package main

import (
	"net/http"
	"net/url"
	"strings"
)

// A scenario makes the i-th request against base (one of the target URLs).
type scenario func(base string, i int) (*http.Request, error)

var scenarios = map[string]func(options) scenario{
	// client_credentials: POST /oauth/token with the client's secret in the body, one token each.
	"client_credentials": func(o options) scenario {
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {o.clientID},
			"client_secret": {o.clientSecret}, "audience": {o.audience}}.Encode()
		return func(base string, _ int) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, base+"oauth/token", strings.NewReader(body))
			if err == nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return r, err
		}
	},
	// jwks: GET /.well-known/jwks.json, as every API validating tokens does on a cache miss.
	"jwks": func(options) scenario {
		return func(base string, _ int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+".well-known/jwks.json", nil)
		}
	},
}
