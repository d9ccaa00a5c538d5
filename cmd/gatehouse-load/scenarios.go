package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// A scenario runs its i-th iteration against base (one of the target URLs) and returns the HTTP
// status of the answer it measures; an error is an iteration that got no answer.
type scenario func(ctx context.Context, c *http.Client, base string, i int) (int, error)

var scenarios = map[string]func(options) scenario{
	// client_credentials: POST /oauth/token with the client's secret in the body, one token each.
	"client_credentials": func(o options) scenario {
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {o.clientID},
			"client_secret": {o.clientSecret}, "audience": {o.audience}}.Encode()
		return single(func(base string) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, base+"oauth/token", strings.NewReader(body))
			if err == nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return r, err
		})
	},
	// jwks: GET /.well-known/jwks.json, as every API validating tokens does on a cache miss.
	"jwks": func(options) scenario {
		return single(func(base string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+".well-known/jwks.json", nil)
		})
	},
	// discovery: GET /.well-known/openid-configuration, what every OIDC client reads at start.
	"discovery": func(options) scenario {
		return single(func(base string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+".well-known/openid-configuration", nil)
		})
	},
	// jwks_revalidate: GET /.well-known/jwks.json with If-None-Match: the 304 a caching client gets
	// once its copy is stale. The ETag is learnt from one plain GET per node.
	"jwks_revalidate": func(options) scenario {
		var etags sync.Map // base → ETag
		return func(ctx context.Context, c *http.Client, base string, _ int) (int, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+".well-known/jwks.json", nil)
			if err != nil {
				return 0, err
			}
			if e, ok := etags.Load(base); ok {
				req.Header.Set("If-None-Match", e.(string))
			}
			resp, err := c.Do(req)
			if err != nil {
				return 0, err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if e := resp.Header.Get("ETag"); e != "" && resp.StatusCode == http.StatusOK {
				etags.Store(base, e)
			}
			return resp.StatusCode, nil
		}
	},
	// signin_flood: a browser sign-in at /authorize and /u/login with a wrong password for a
	// different unknown email each time (so brute-force protection, which counts per user and
	// address, does not stop it): each costs the server one password hash. The status is the
	// login POST's: 400 when the password was checked, 503 when hashing was at its memory budget.
	"signin_flood": func(o options) scenario {
		return func(ctx context.Context, c *http.Client, base string, i int) (int, error) {
			return signIn(ctx, c, base, o.webClientID, o.callback, fmt.Sprintf("load-%d@example.invalid", i), "Wrong-Password-1")
		}
	},
}

// single is a scenario of one request.
func single(mk func(base string) (*http.Request, error)) scenario {
	return func(ctx context.Context, c *http.Client, base string, _ int) (int, error) {
		req, err := mk(base)
		if err != nil {
			return 0, err
		}
		resp, err := c.Do(req.WithContext(ctx))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
}

var (
	inputTag  = regexp.MustCompile(`<input[^>]*>`)
	nameAttr  = regexp.MustCompile(`\bname="([^"]*)"`)
	valueAttr = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// signIn runs one browser sign-in with its own cookies and returns the login POST's status.
func signIn(ctx context.Context, shared *http.Client, base, clientID, callback, email, pw string) (int, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: shared.Transport, Jar: jar, Timeout: shared.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "scope": {"openid"},
		"state": {"load"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	_, loc, _, err := get(ctx, c, base+"authorize?"+q.Encode())
	if err != nil {
		return 0, err
	}
	if loc == "" {
		return 0, errors.New("authorize: no redirect to the login page")
	}
	u, err := url.Parse(base)
	if err != nil {
		return 0, err
	}
	login, err := u.Parse(loc)
	if err != nil {
		return 0, err
	}
	loginURL := login.String()
	_, _, b, err := get(ctx, c, loginURL)
	if err != nil {
		return 0, err
	}
	form := url.Values{}
	for _, tag := range inputTag.FindAllString(string(b), -1) {
		if n := nameAttr.FindStringSubmatch(tag); n != nil {
			v := ""
			if m := valueAttr.FindStringSubmatch(tag); m != nil {
				v = html.UnescapeString(m[1])
			}
			form.Set(n[1], v)
		}
	}
	if form.Get("csrf") == "" {
		return 0, errors.New("login page without a form")
	}
	form.Set("username", email)
	form.Set("password", pw)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loginURL, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, post.Body)
	post.Body.Close()
	return post.StatusCode, nil
}

// get returns the status, the Location header and the body of a GET.
func get(ctx context.Context, c *http.Client, u string) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header.Get("Location"), b, err
}
