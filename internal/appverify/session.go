package appverify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// maxHops bounds a chain of redirects, as browsers do (Chromium stops at 20).
const maxHops = 20

// session is one browser: a cookie jar, and the redirects of its last navigation.
type session struct {
	v            *verifier
	client       *http.Client
	jar          http.CookieJar
	lastHops     []*http.Response
	setAtLogin   []*http.Cookie // the cookies the app's callback set, as Set-Cookie said them
	cookieSource string
}

func (v *verifier) newSession() *session {
	jar, _ := cookiejar.New(nil)
	c := *v.HTTP
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &session{v: v, client: &c, jar: jar}
}

// do sends one request without following redirects and returns the answer with its body (at most
// 1 MiB).
func (s *session) do(ctx context.Context, method, target string, form url.Values) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(b), err
}

// follow navigates as a browser does: redirects followed (a 303, or a 301/302 after a POST, turns
// into a GET), at most maxHops of them. Each answer is kept in lastHops.
func (s *session) follow(ctx context.Context, method, target string, form url.Values) (*http.Response, string, error) {
	s.lastHops = nil
	for range maxHops {
		resp, body, err := s.do(ctx, method, target, form)
		if err != nil {
			return nil, "", err
		}
		s.lastHops = append(s.lastHops, resp)
		if resp.Request.URL.Path == s.v.CallbackPath && sameOrigin(resp.Request.URL, s.v.App) {
			s.setAtLogin = append(s.setAtLogin, resp.Cookies()...)
		}
		if !isRedirect(resp.StatusCode) {
			return resp, body, nil
		}
		loc, err := resp.Location()
		if err != nil {
			return resp, body, fmt.Errorf("%d from %s without a usable Location", resp.StatusCode, hostPath(resp.Request.URL))
		}
		if resp.StatusCode == http.StatusSeeOther || method == http.MethodPost && resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			method, form = http.MethodGet, nil
		}
		target = loc.String()
	}
	return nil, "", fmt.Errorf("more than %d redirects", maxHops)
}

// visited says whether the last navigation passed through a path ending in one of suffixes.
func (s *session) visited(suffixes ...string) bool {
	for _, h := range s.lastHops {
		for _, suf := range suffixes {
			if strings.HasSuffix(h.Request.URL.Path, suf) {
				return true
			}
		}
	}
	return false
}

// signIn logs user in through the app's login route: the browser when there is one, else the
// hosted login form over HTTP. It fails unless the app then serves the protected page.
func (v *verifier) signIn(ctx context.Context, user, password string) (*session, error) {
	s := v.newSession()
	if v.Browser != nil {
		cookies, err := v.Browser.SignIn(ctx, v.App+v.LoginPath, user, password)
		if err != nil {
			return s, err
		}
		for _, c := range cookies {
			host := strings.TrimPrefix(c.Domain, ".")
			scheme := "http"
			if c.Secure {
				scheme = "https"
			}
			s.jar.SetCookies(&url.URL{Scheme: scheme, Host: host, Path: "/"}, []*http.Cookie{c})
			if app, _ := url.Parse(v.App); app != nil && host == app.Hostname() {
				s.setAtLogin = append(s.setAtLogin, c)
			}
		}
		s.cookieSource = "as " + v.Browser.Name() + " stored it"
	} else {
		if err := s.signInHTTP(ctx, user, password); err != nil {
			return s, err
		}
		s.cookieSource = "as the callback's Set-Cookie said it"
	}
	if ok, why := v.hasSession(ctx, s); !ok {
		return s, fmt.Errorf("signed in, but %s", why)
	}
	return s, nil
}

// signInHTTP fills the hosted login form (the first form with a password field) and submits it.
func (s *session) signInHTTP(ctx context.Context, user, password string) error {
	resp, body, err := s.follow(ctx, http.MethodGet, s.v.App+s.v.LoginPath, nil)
	if err != nil {
		return err
	}
	f, err := loginForm(body)
	if err != nil {
		return fmt.Errorf("%s (%d): %w", hostPath(resp.Request.URL), resp.StatusCode, err)
	}
	action, err := resp.Request.URL.Parse(f.action)
	if err != nil {
		return err
	}
	f.fields.Set(f.userField, user)
	f.fields.Set(f.passwordField, password)
	resp, body, err = s.follow(ctx, http.MethodPost, action.String(), f.fields)
	if err != nil {
		return err
	}
	if !sameOrigin(resp.Request.URL, s.v.App) {
		return fmt.Errorf("the login ended at %s (%d) %q, not back at the app", hostPath(resp.Request.URL), resp.StatusCode, pageText(body, 160))
	}
	return nil
}

type form struct {
	action                   string
	fields                   url.Values
	userField, passwordField string
}

// loginForm finds the first form with a password input and its fields.
func loginForm(page string) (*form, error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return nil, err
	}
	var found *form
	var walk func(n *html.Node, cur *form)
	walk = func(n *html.Node, cur *form) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			cur = &form{action: attr(n, "action"), fields: url.Values{}}
		}
		if cur != nil && n.Type == html.ElementNode && n.Data == "input" {
			name, typ := attr(n, "name"), strings.ToLower(attr(n, "type"))
			switch {
			case name == "":
			case typ == "password":
				cur.passwordField = name
			case typ == "hidden":
				cur.fields.Set(name, attr(n, "value"))
			case typ == "email" || typ == "text" || name == "username":
				if cur.userField == "" {
					cur.userField = name
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, cur)
		}
		if n.Type == html.ElementNode && n.Data == "form" && cur.passwordField != "" && cur.userField != "" && found == nil {
			found = cur
		}
	}
	walk(doc, nil)
	if found == nil {
		return nil, errors.New("no login form with a user name and a password field")
	}
	return found, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// sessionCookie is the app's session cookie: the one named, else a well-known SDK name, else the
// first cookie the callback set and did not clear.
func (s *session) sessionCookie(name string) *http.Cookie {
	live := func(c *http.Cookie) bool { return c.MaxAge >= 0 && c.Value != "" }
	for _, want := range []string{name, "appSession", "appSession.0", "__session", "__session__0"} {
		for _, c := range s.setAtLogin {
			if want != "" && c.Name == want && live(c) {
				return c
			}
		}
	}
	if name != "" {
		return nil
	}
	for _, c := range s.setAtLogin {
		if live(c) {
			return c
		}
	}
	return nil
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func sameOrigin(u *url.URL, base string) bool {
	b, err := url.Parse(base)
	return err == nil && u.Scheme == b.Scheme && u.Host == b.Host
}

func hostPath(u *url.URL) string { return u.Host + u.Path }

// redact shows an authorization URL without its query's values that could matter (state, nonce,
// code challenge).
func redact(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }

var (
	tags   = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]+>`)
	spaces = regexp.MustCompile(`\s+`)
)

// pageText is the visible text of an answer, shortened, for evidence.
func pageText(body string, max int) string {
	t := strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(body, " ")), " "))
	if len(t) > max {
		t = t[:max] + "…"
	}
	return t
}

func loopback(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
