package checklist

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
)

// Env is an app's settings as its .env.local gives them.
type Env map[string]string

// ParseEnv reads a dotenv file as Next.js reads .env.local: KEY=VALUE lines, an optional
// `export ` prefix, # comments, values in single or double quotes (double quotes understand \n),
// an unquoted value ending at a " #" comment.
func ParseEnv(r io.Reader) (Env, error) {
	env := Env{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("line %d: not KEY=VALUE", n)
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '"' && strings.LastIndexByte(v, '"') > 0:
			v = strings.NewReplacer(`\n`, "\n", `\"`, `"`).Replace(v[1:strings.LastIndexByte(v, '"')])
		case len(v) >= 2 && v[0] == '\'' && strings.LastIndexByte(v, '\'') > 0:
			v = v[1:strings.LastIndexByte(v, '\'')]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		env[k] = v
	}
	return env, sc.Err()
}

// Keys is what RunApp learned from the issuer's JWKS, or why it could not.
type Keys struct {
	Algs []string // the alg of each published key ("RS256", …)
	Err  error    // the JWKS could not be fetched or read
}

// Placeholders are values copied from documentation instead of generated.
var placeholders = []string{"use-openssl-rand-base64-32-to-generate", "openssl", "changeme", "change-me", "replace", "your-secret", "secret", "xxxx", "placeholder", "example"}

// RunApp runs the checklist's app side: the settings of one app (its .env.local, in the guide's
// variable names) against the tenant it signs in with (issuer: that tenant's issuer URL), and the
// tenant's published keys.
func RunApp(env Env, t Tenant, issuer string, keys Keys) []Item {
	c, known := findClient(t.Clients, env["AUTH0_CLIENT_ID"])
	items := []Item{secret(env), appClient(env, c, known)}
	if known {
		items = append(items, appCallback(env, c), appLogout(env, c))
	}
	return append(items, appHTTPS(env), appAudience(env, t.APIs), tokenValidation(env, t.APIs, issuer, keys))
}

func envSubject(name string) Subject { return Subject{Kind: "env", ID: name} }

func findClient(cs []Client, id string) (Client, bool) {
	for _, c := range cs {
		if id != "" && c.ClientID == id {
			return c, true
		}
	}
	return Client{}, false
}

// secret: AUTH0_SECRET is at least 32 characters, not a documentation placeholder, and looks
// random (the guide: `openssl rand -base64 32`, 44 characters carrying 256 bits).
func secret(env Env) Item {
	it := Item{ID: "app-secret", Title: "AUTH0_SECRET is secure", Why: "Generated with openssl, never committed: it encrypts the app's session cookie, so whoever knows it can forge any session.",
		Fix: "Set AUTH0_SECRET to the output of `openssl rand -base64 32` (a new one per environment), and keep .env.local out of Git."}
	s, ok := env["AUTH0_SECRET"]
	lower := strings.ToLower(s)
	switch {
	case !ok || s == "":
		return result(it, []Finding{{Text: "AUTH0_SECRET is not set.", Subject: envSubject("AUTH0_SECRET")}})
	case len(s) < 32:
		return result(it, []Finding{{Text: fmt.Sprintf("AUTH0_SECRET is %d characters long; at least 32 are needed.", len(s)), Subject: envSubject("AUTH0_SECRET")}})
	}
	for _, p := range placeholders {
		if strings.Contains(lower, p) {
			return result(it, []Finding{{Text: fmt.Sprintf("AUTH0_SECRET looks like a placeholder (it contains %q), not a generated secret.", p), Subject: envSubject("AUTH0_SECRET")}})
		}
	}
	if bits := entropyBits(s); bits < 128 {
		return result(it, []Finding{{Text: fmt.Sprintf("AUTH0_SECRET carries about %.0f bits of randomness; a generated one carries 128 or more.", bits), Subject: envSubject("AUTH0_SECRET")}})
	}
	it.Passed = fmt.Sprintf("AUTH0_SECRET is %d characters and looks generated.", len(s))
	return result(it, nil)
}

// entropyBits estimates the randomness in s from its character frequencies: a repeated or
// patterned value scores low even when it is long.
func entropyBits(s string) float64 {
	freq := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		freq[r]++
		n++
	}
	h := 0.0
	for _, f := range freq {
		p := f / n
		h -= p * math.Log2(p)
	}
	return h * n
}

func appClient(env Env, c Client, known bool) Item {
	it := Item{ID: "app-client", Title: "The app's application is registered", Why: "AUTH0_CLIENT_ID must name this tenant's application for the app, a Regular Web Application that keeps its secret on the server.",
		Fix: "Copy the Client ID and Client Secret from the application's Settings into .env.local.", FixPage: "applications"}
	id := env["AUTH0_CLIENT_ID"]
	switch {
	case id == "":
		return result(it, []Finding{{Text: "AUTH0_CLIENT_ID is not set.", Subject: envSubject("AUTH0_CLIENT_ID")}})
	case !known:
		return result(it, []Finding{{Text: "AUTH0_CLIENT_ID " + id + " is not an application of this tenant.", Subject: envSubject("AUTH0_CLIENT_ID")}})
	case env["AUTH0_CLIENT_SECRET"] == "" && c.TokenEndpointAuthMethod != "none":
		return result(it, []Finding{{Text: "AUTH0_CLIENT_SECRET is not set.", Subject: envSubject("AUTH0_CLIENT_SECRET")}})
	}
	it.Passed = fmt.Sprintf("AUTH0_CLIENT_ID is %q (%s).", c.Name, AppTypeLabel(c.AppType))
	return result(it, nil)
}

// baseURL is AUTH0_BASE_URL without a trailing slash ("" when unset or not a URL).
func baseURL(env Env) string {
	b := strings.TrimRight(env["AUTH0_BASE_URL"], "/")
	if u, err := url.Parse(b); err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return b
}

// appCallback: the app's callback (nextjs-auth0 v3's /api/auth/callback, v4's /auth/callback) is
// listed exactly, and the application has no wildcard.
func appCallback(env Env, c Client) Item {
	it := Item{ID: "app-callback", Title: "Exact callback URLs", Why: "No wildcards, exact match only: " + WildcardWarning,
		Fix: "List AUTH0_BASE_URL followed by /api/auth/callback in the application's Allowed Callback URLs, in full."}
	b := baseURL(env)
	if b == "" {
		return result(it, []Finding{{Text: "AUTH0_BASE_URL is not set to a URL.", Subject: envSubject("AUTH0_BASE_URL")}})
	}
	var fs []Finding
	for _, u := range c.Callbacks {
		if strings.Contains(u, "*") {
			fs = append(fs, Finding{Text: fmt.Sprintf("%s allows %s", c.Name, u), Subject: clientSubject(c)})
		}
	}
	want := []string{b + "/api/auth/callback", b + "/auth/callback"}
	if !has(c.Callbacks, want[0]) && !has(c.Callbacks, want[1]) {
		fs = append(fs, Finding{Text: fmt.Sprintf("%s does not list %s among its callback URLs, so sign-in fails with “Callback URL mismatch”.", c.Name, want[0]), Subject: clientSubject(c)})
	}
	it.Passed = fmt.Sprintf("%s lists the app's callback exactly.", c.Name)
	return result(it, fs)
}

func appLogout(env Env, c Client) Item {
	it := Item{ID: "app-logout", Title: "Proper logout implemented", Why: "Logout clears both the app's session and this tenant's: the app's returnTo must be an Allowed Logout URL.",
		Fix: "List AUTH0_BASE_URL in the application's Allowed Logout URLs."}
	b := baseURL(env)
	if b == "" {
		return result(it, []Finding{{Text: "AUTH0_BASE_URL is not set to a URL.", Subject: envSubject("AUTH0_BASE_URL")}})
	}
	if !has(c.AllowedLogoutURLs, b) && !has(c.AllowedLogoutURLs, b+"/") {
		return result(it, []Finding{{Text: fmt.Sprintf("%s does not list %s among its logout URLs, so logout stops at an error page.", c.Name, b), Subject: clientSubject(c)}})
	}
	it.Passed = fmt.Sprintf("%s lists %s as a logout URL.", c.Name, b)
	return result(it, nil)
}

func appHTTPS(env Env) Item {
	it := Item{ID: "app-https", Title: "HTTPS in production", Why: "Required for secure cookies: the SDK marks the session cookie Secure only over https.",
		Fix: "Use https:// for AUTH0_BASE_URL and AUTH0_ISSUER_BASE_URL outside localhost."}
	var fs []Finding
	for _, k := range []string{"AUTH0_BASE_URL", "AUTH0_ISSUER_BASE_URL"} {
		if plainHTTPOffLoopback(env[k]) {
			fs = append(fs, Finding{Text: fmt.Sprintf("%s is %s, plain http off this machine.", k, env[k]), Subject: envSubject(k)})
		}
	}
	it.Passed = "The app's URLs use https, or point at localhost."
	return result(it, fs)
}

func appAudience(env Env, apis []API) Item {
	it := Item{ID: "app-audience", Title: "API audience configured", Why: "Tokens are scoped to your API: without AUTH0_AUDIENCE the app gets tokens your API must refuse (“Missing required parameter: audience”).",
		Fix: "Set AUTH0_AUDIENCE to the identifier of your API (Applications › APIs).", FixPage: "apis"}
	a := env["AUTH0_AUDIENCE"]
	if a == "" {
		return result(it, []Finding{{Text: "AUTH0_AUDIENCE is not set.", Subject: envSubject("AUTH0_AUDIENCE")}})
	}
	for _, api := range apis {
		if api.Identifier == a {
			it.Passed = fmt.Sprintf("AUTH0_AUDIENCE is the API %q.", api.Name)
			return result(it, nil)
		}
	}
	return result(it, []Finding{{Text: "AUTH0_AUDIENCE " + a + " is not an API of this tenant.", Subject: envSubject("AUTH0_AUDIENCE")}})
}

// tokenValidation: the API can validate the app's access tokens with the issuer's JWKS: the JWKS is
// reachable and the audience's algorithm is one a JWKS can verify (not HS256).
func tokenValidation(env Env, apis []API, issuer string, keys Keys) Item {
	it := Item{ID: "app-token-validation", Title: "Token validation enabled", Why: "Verify tokens server-side with JWKS: your API checks each access token's signature, issuer, audience and expiry.",
		Fix: "Set AUTH0_ISSUER_BASE_URL to the tenant's issuer, make its /.well-known/jwks.json reachable from the API, and sign the API's tokens with RS256."}
	got := strings.TrimRight(env["AUTH0_ISSUER_BASE_URL"], "/")
	switch {
	case got == "":
		return result(it, []Finding{{Text: "AUTH0_ISSUER_BASE_URL is not set.", Subject: envSubject("AUTH0_ISSUER_BASE_URL")}})
	case issuer != "" && got != strings.TrimRight(issuer, "/"):
		return result(it, []Finding{{Text: fmt.Sprintf("AUTH0_ISSUER_BASE_URL is %s but the tenant's issuer is %s: every token would fail the issuer check.", got, issuer), Subject: envSubject("AUTH0_ISSUER_BASE_URL")}})
	}
	if keys.Err != nil {
		return result(it, []Finding{{Text: "The issuer's JWKS could not be read: " + keys.Err.Error(), Subject: envSubject("AUTH0_ISSUER_BASE_URL")}})
	}
	alg := "RS256"
	for _, api := range apis {
		if api.Identifier == env["AUTH0_AUDIENCE"] && api.SigningAlg != "" {
			alg = api.SigningAlg
		}
	}
	if strings.HasPrefix(alg, "HS") {
		return result(it, []Finding{{Text: "The API signs its tokens with " + alg + ", a shared secret that a JWKS cannot publish.", Subject: envSubject("AUTH0_AUDIENCE")}})
	}
	if !has(keys.Algs, alg) {
		return result(it, []Finding{{Text: fmt.Sprintf("The issuer's JWKS publishes no %s key (it has %s).", alg, strings.Join(keys.Algs, ", ")), Subject: envSubject("AUTH0_ISSUER_BASE_URL")}})
	}
	it.Passed = fmt.Sprintf("The issuer's JWKS publishes %d key(s), including %s for the API.", len(keys.Algs), alg)
	return result(it, nil)
}
