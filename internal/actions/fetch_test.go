package actions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
)

// runWithHosts runs body as a post-login handler whose fetch may reach the hosts in allow.
func runWithHosts(tb testing.TB, rt *actions.Runtime, allow []string, body string) (*actions.PostLoginResult, error) {
	tb.Helper()
	p := MustCompile(tb, rt, "fetcher", "exports.onExecutePostLogin = async (event, api) => {\n"+body+"\n};", actions.TriggerPostLogin)
	return rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "a1", Name: "fetcher", Program: p,
		Secrets: map[string]string{"TOKEN": "s3cret"}, FetchAllowHosts: allow}}, loginEvent())
}

func fetchRuntime(timeout time.Duration, f actions.FetchOptions) *actions.Runtime {
	return actions.NewRuntime(actions.Options{DefaultTimeout: timeout, MemoryLimitBytes: 64 << 20, Fetch: f})
}

// claim returns the ID token claim name, failing the test when the run failed.
func claim(tb testing.TB, res *actions.PostLoginResult, err error, name string) any {
	tb.Helper()
	if err != nil {
		tb.Fatalf("run: %v (logs %v)", err, res.Logs)
	}
	return res.IDTokenClaims[name]
}

func TestFetchJSONRoundTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Seen-Auth", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "q": r.URL.Query().Get("q"),
			"body": string(b), "ctype": r.Header.Get("Content-Type")})
	}))
	defer srv.Close()
	res, err := runWithHosts(t, fetchRuntime(5*time.Second, actions.FetchOptions{}), []string{"127.0.0.1"}, fmt.Sprintf(`
  const u = new URL('/users', %q);
  u.searchParams.set('q', 'a b&c');
  const r = await fetch(u, { method: 'POST', headers: { Authorization: 'Bearer ' + event.secrets.TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify({ id: event.user.user_id }) });
  const j = await r.json();
  api.idToken.setCustomClaim('r', { status: r.status, ok: r.ok, used: r.bodyUsed, auth: r.headers.get('x-seen-auth'),
    ct: r.headers.get('Content-Type'), j: j, href: u.href });`, srv.URL))
	got := claim(t, res, err, "r").(map[string]any)
	j := got["j"].(map[string]any)
	if got["status"] != float64(201) || got["ok"] != true || got["used"] != true || got["auth"] != "Bearer s3cret" ||
		got["ct"] != "application/json" || j["method"] != "POST" || j["path"] != "/users" || j["q"] != "a b&c" ||
		j["body"] != `{"id":"auth0|123"}` || j["ctype"] != "application/json" || got["href"] != srv.URL+"/users?q=a+b%26c" {
		t.Fatalf("got %v", got)
	}
}

func TestFetchBounds(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := 0; i < 100; i++ {
			_, _ = w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("y", 64<<10)
		for i := 0; i < 64; i++ { // 4 MiB
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	allow := []string{"127.0.0.1"}
	for _, tc := range []struct {
		name, body string
		want       string
	}{
		{"per-call timeout", `await fetch(base + '/slow-headers', { signal: AbortSignal.timeout(100) });`, "TimeoutError"},
		{"slow body", `await fetch(base + '/slow-body');`, "TimeoutError"},
		{"huge body", `await fetch(base + '/huge');`, "larger than 1048576 bytes"},
		{"redirect loop", `await fetch(base + '/loop');`, "more than 5 redirects"},
		{"redirect error mode", `await fetch(base + '/loop', { redirect: 'error' });`, "redirect mode is set to error"},
		{"abort", `const c = new AbortController(); const p = fetch(base + '/slow-headers', { signal: c.signal }); c.abort(); await p;`, "AbortError"},
		{"not http", `await fetch('file:///etc/passwd');`, "not an http(s) URL"},
		{"credentials in URL", `await fetch(base.replace('http://', 'http://u:p@') + '/ok');`, "credentials"},
		{"GET with body", `await fetch(base + '/ok', { body: 'x' });`, "cannot have body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := fetchRuntime(5*time.Second, actions.FetchOptions{CallTimeout: 400 * time.Millisecond})
			res, err := runWithHosts(t, rt, allow, fmt.Sprintf(`const base = %q;
  try { %s api.idToken.setCustomClaim('e', 'no error'); }
  catch (e) { api.idToken.setCustomClaim('e', e.name + ': ' + e.message); }`, srv.URL, tc.body))
			if got := claim(t, res, err, "e"); !strings.Contains(fmt.Sprint(got), tc.want) {
				t.Fatalf("error = %v, want %q", got, tc.want)
			}
		})
	}
	t.Run("manual redirect", func(t *testing.T) {
		res, err := runWithHosts(t, fetchRuntime(5*time.Second, actions.FetchOptions{}), allow, fmt.Sprintf(`
  const r = await fetch(%q, { redirect: 'manual' });
  api.idToken.setCustomClaim('r', r.status + ' ' + r.headers.get('location'));`, srv.URL+"/loop"))
		if got := claim(t, res, err, "r"); got != "302 /loop" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("call budget", func(t *testing.T) {
		rt := fetchRuntime(5*time.Second, actions.FetchOptions{MaxCalls: 3})
		_, err := runWithHosts(t, rt, allow, fmt.Sprintf(`while (true) { await (await fetch(%q)).text(); }`, srv.URL+"/ok"))
		if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "at most 3 requests") {
			t.Fatalf("message %q", ee.Message)
		}
	})
	t.Run("fetch until the deadline", func(t *testing.T) {
		rt := fetchRuntime(300*time.Millisecond, actions.FetchOptions{MaxCalls: 1000})
		_, err := runWithHosts(t, rt, allow, fmt.Sprintf(`while (true) { await fetch(%q).catch(() => null); }`, srv.URL+"/slow-headers"))
		mustExecErr(t, err, actions.KindTimeout)
	})
	t.Run("throw from a fetch callback", func(t *testing.T) {
		rt := fetchRuntime(5*time.Second, actions.FetchOptions{})
		_, err := runWithHosts(t, rt, allow, fmt.Sprintf(`fetch(%q).then(() => { throw new Error('from callback'); });
  await new Promise((r) => setTimeout(r, 200));`, srv.URL+"/ok"))
		if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "unhandled promise rejection: Error: from callback") {
			t.Fatalf("message %q", ee.Message)
		}
	})
}

// TestFetchRefusesPrivateDestinations: without the host on the allow-list, loopback, link-local,
// private and metadata addresses are refused after DNS resolution, including when an allowed
// host redirects there.
func TestFetchRefusesPrivateDestinations(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to-private" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		hits++
		_, _ = io.WriteString(w, "reached")
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	localhost := "http://localhost:" + port + "/"
	for _, tc := range []struct {
		name, url string
		allow     []string
	}{
		{"127.0.0.1", srv.URL + "/", nil},
		{"::1", "http://[::1]:" + port + "/", nil},
		{"metadata", "http://169.254.169.254/latest/meta-data/", nil},
		{"10/8", "http://10.0.0.1/", nil},
		{"192.168/16", "http://192.168.1.1/", nil},
		{"name resolving to loopback", localhost, nil},
		{"allowed host redirecting to a private one", srv.URL + "/to-private?to=" + url.QueryEscape(localhost), []string{"127.0.0.1"}},
		{"allow-list is per host", localhost, []string{"127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := fetchRuntime(5*time.Second, actions.FetchOptions{CallTimeout: 2 * time.Second})
			res, err := runWithHosts(t, rt, tc.allow, fmt.Sprintf(`
  try { await fetch(%q); api.idToken.setCustomClaim('e', 'reached'); }
  catch (e) { api.idToken.setCustomClaim('e', e.name + ': ' + e.message); }`, tc.url))
			got := fmt.Sprint(claim(t, res, err, "e"))
			if !strings.Contains(got, "destination not allowed") {
				t.Fatalf("error = %v", got)
			}
		})
	}
	if hits != 0 {
		t.Fatalf("the server was reached %d times", hits)
	}
	t.Run("allow-list names the host", func(t *testing.T) {
		res, err := runWithHosts(t, fetchRuntime(5*time.Second, actions.FetchOptions{}), []string{"LOCALHOST"},
			fmt.Sprintf(`api.idToken.setCustomClaim('e', await (await fetch(%q)).text());`, localhost))
		if got := claim(t, res, err, "e"); got != "reached" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("development allows loopback", func(t *testing.T) {
		res, err := runWithHosts(t, fetchRuntime(5*time.Second, actions.FetchOptions{AllowPrivate: true}), nil,
			fmt.Sprintf(`api.idToken.setCustomClaim('e', await (await fetch(%q)).text());`, srv.URL))
		if got := claim(t, res, err, "e"); got != "reached" {
			t.Fatalf("got %v", got)
		}
	})
}

func TestFetchVerifiesTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "reached") }))
	defer srv.Close()
	res, err := runWithHosts(t, fetchRuntime(5*time.Second, actions.FetchOptions{}), []string{"127.0.0.1"}, fmt.Sprintf(`
  try { await fetch(%q); api.idToken.setCustomClaim('e', 'reached'); }
  catch (e) { api.idToken.setCustomClaim('e', e.message); }`, srv.URL))
	if got := fmt.Sprint(claim(t, res, err, "e")); !strings.Contains(got, "certificate") {
		t.Fatalf("error = %v", got)
	}
}

// TestSandboxEscapesThroughShims: the new globals and modules lead nowhere outside the sandbox.
func TestSandboxEscapesThroughShims(t *testing.T) {
	for _, tc := range []struct{ name, code string }{
		{"constructor of this", `this.constructor.constructor('return process')()`},
		{"fetch's constructor", `fetch.constructor('return process')()`},
		{"a shim's prototype chain", `Headers.prototype.get.constructor('return 1')()`},
		{"a module's function", `require('axios').get.constructor('return 1')()`},
		{"an async shim's constructor", `Object.getPrototypeOf(async () => {}).constructor('return 1')`},
		{"a polluted prototype", `Object.prototype.then = () => { throw new Error('polluted'); }; await fetch('http://10.0.0.1/');`},
		{"a replaced native lookalike", `Buffer.prototype.toString = null; globalThis.setTimeout = null; await fetch('http://169.254.169.254/');`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := fetchRuntime(2*time.Second, actions.FetchOptions{})
			p := MustCompile(t, rt, "escape", "exports.onExecutePostLogin = async (event, api) => {\n"+tc.code+"\n};", actions.TriggerPostLogin)
			_, err := rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "a", Name: "escape", Program: p}}, loginEvent())
			ee := mustExecErr(t, err, actions.KindException)
			if !strings.Contains(ee.Message, "EvalError") && !strings.Contains(ee.Message, "not allowed") && !strings.Contains(ee.Message, "polluted") {
				t.Fatalf("message %q", ee.Message)
			}
		})
	}
}
