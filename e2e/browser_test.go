package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath returns the Chromium binary to drive, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GATEHOUSE_TEST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("GATEHOUSE_TEST_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("no Chromium: set GATEHOUSE_TEST_CHROMIUM to a Chromium binary (CI: .ci/run installs one) to run the browser tests")
	return ""
}

// browser is one headless Chromium with a fresh profile.
type browser struct {
	t   *testing.T
	ctx context.Context // a chromedp context whose browser has started
}

// MustStartBrowser starts headless Chromium. It accepts the dev CA's certificates without
// trusting them system-wide (--ignore-certificate-errors), and resolves no host but localhost, so
// nothing on the pages (the Gravatar picture) leaves the machine.
func MustStartBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	return mustStartBrowser(t, ctx, t.TempDir())
}

// MustStartBrowserAllowingThirdPartyCookies is MustStartBrowser with a profile that does not
// restrict third-party cookies (a fresh Chromium profile does; Chrome and Edge as most people run
// them do not, Safari, Brave and Firefox's strict mode do). Only then does a cross-site iframe
// carry a SameSite=None cookie.
func MustStartBrowserAllowingThirdPartyCookies(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	dir := t.TempDir()
	prefs := `{"profile":{"cookie_controls_mode":0,"block_third_party_cookies":false}}`
	if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	return mustStartBrowser(t, ctx, dir)
}

func mustStartBrowser(t *testing.T, ctx context.Context, profile string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1200, 900),
		chromedp.UserDataDir(profile),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	// Failed loads and the browser's log (CSP violations among them) go to the test log, shown
	// when the test fails.
	bctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *network.EventLoadingFailed:
			t.Logf("browser: load failed: %s %s", e.ErrorText, e.BlockedReason)
		case *log.EventEntryAdded:
			t.Logf("browser log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL)
		}
	}))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser and must not carry a short timeout (it would stop it).
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: bctx}
}

// step runs actions with a bounded wait.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// run runs one action that returns a value, with a bounded wait.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	return v
}

// navigate loads url, following redirects, and returns the main document's final response.
func (b *browser) navigate(url string) *network.Response {
	b.t.Helper()
	return run(b, "navigate to "+url, chromedp.NavigateResponse(url))
}

// waitFor waits until the JavaScript condition holds on the page, across a navigation that is
// still under way (an evaluation the navigation interrupts is tried again): a page that already
// shows what the next one will (a flash, a pager) cannot satisfy a wait for the next one.
func (b *browser) waitFor(what, condition string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](condition))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %q never held (last error %v, at %s)", what, condition, err, b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// location is the current page's URL ("?" when it cannot be read).
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return loc
}

// text is the visible text of the first element matching the CSS selector, waiting for it.
func (b *browser) text(css string) string {
	b.t.Helper()
	b.step("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
	return strings.TrimSpace(run(b, "text of "+css, chromedp.Text(chromedp.CSS(css))))
}

// fetchResult is what the page's fetch() saw.
type fetchResult struct {
	Status int             `json:"status"`
	URL    string          `json:"url"`
	Body   json.RawMessage `json:"body"`
}

// fetchJSON calls path with the page's fetch (same origin, so with its cookies) and decodes the
// JSON answer; redirects are followed as a browser does.
func (b *browser) fetchJSON(path string) fetchResult {
	b.t.Helper()
	js := fmt.Sprintf(`fetch(%q, {headers: {Accept: "application/json"}}).then(async r => {
		const text = await r.text();
		let body = null;
		try { body = JSON.parse(text); } catch (e) { body = {nonJSON: text.slice(0, 200)}; }
		return {status: r.status, url: r.url, body: body};
	})`, path)
	return run(b, "fetch "+path, chromedp.Evaluate[fetchResult](js, chromedp.EvalAwaitPromise))
}

// cookies returns the browser's cookies for url, HttpOnly ones included.
func (b *browser) cookies(url string) map[string]*network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		b.t.Fatalf("cookies of %s: %v", url, err)
	}
	m := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m
}

// screenshot saves the page as PNG under dir and logs where.
func (b *browser) screenshot(dir, name string) {
	b.t.Helper()
	// A screenshot taken while a navigation replaces the page finds a document of no size yet
	// ("Cannot take screenshot with 0 width"): wait for the new page's body, and try again a few
	// times, boundedly, while it lays out.
	var png []byte
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		err := chromedp.Do(ctx, chromedp.WaitReady("body"))
		if err == nil {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		cancel()
		if err == nil {
			break
		}
		if i == 20 || !strings.Contains(err.Error(), "0 width") {
			b.t.Fatalf("screenshot %s: %v (at %s)", name, err, b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// artifactsDir is GATEHOUSE_TEST_ARTIFACTS, or a temporary directory.
func artifactsDir(t *testing.T) string {
	if d := os.Getenv("GATEHOUSE_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}
