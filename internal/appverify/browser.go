package appverify

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Chromium signs in through headless Chromium (Debian's chromium, or any Chrome) with a fresh
// profile for each sign-in.
type Chromium struct {
	Path string // the browser's executable
	// Screenshots, when set, is a directory where the login form and the page after sign-in are
	// saved as PNG.
	Screenshots string
}

// Name implements Browser.
func (c Chromium) Name() string { return "Chromium" }

// SignIn implements Browser: it opens loginURL, fills the first form with a password field and
// waits until the browser is back at the app, then returns the cookies of the app and of the
// login page's site as the browser stored them.
func (c Chromium) SignIn(ctx context.Context, loginURL, user, password string) ([]*http.Cookie, error) {
	profile, err := os.MkdirTemp("", "gatehouse-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(c.Path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A development tenant's certificate comes from its own CA, which this throwaway profile
		// does not trust; what is verified here is the app's behaviour, not TLS trust.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1100, 850),
		chromedp.UserDataDir(profile),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	step := func(what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
		sctx, cancel := context.WithTimeout(bctx, d)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	location := func() string {
		lctx, cancel := context.WithTimeout(bctx, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(lctx, chromedp.Location())
		return loc
	}
	if err := step("open "+loginURL, 20*time.Second, chromedp.Navigate(loginURL),
		chromedp.WaitVisible(chromedp.CSS(`form input[type="password"]`))); err != nil {
		return nil, err
	}
	loginPage := location()
	c.screenshot(bctx, "verify-login-form")
	userField := `form input[autocomplete~="username"], form input[name="username"], form input[type="email"]`
	if err := step("fill in the login form", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(userField), user),
		chromedp.SendKeys(chromedp.CSS(`form input[type="password"]`), password),
		chromedp.Submit(chromedp.CSS(`form input[type="password"]`))); err != nil {
		return nil, err
	}
	app, err := url.Parse(loginURL)
	if err != nil {
		return nil, err
	}
	origin := app.Scheme + "://" + app.Host
	deadline := time.Now().Add(20 * time.Second)
	for !strings.HasPrefix(location(), origin+"/") {
		if time.Now().After(deadline) {
			c.screenshot(bctx, "verify-login-stuck")
			return nil, fmt.Errorf("the browser did not come back to %s after sign-in (it is at %s)", origin, location())
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.screenshot(bctx, "verify-signed-in")
	gctx, cancelGet := context.WithTimeout(bctx, 10*time.Second)
	defer cancelGet()
	res, err := chromedp.Call(gctx, network.GetCookies, network.GetCookiesParams{URLs: []string{origin + "/", loginPage}})
	if err != nil {
		return nil, fmt.Errorf("read the browser's cookies: %w", err)
	}
	var out []*http.Cookie
	for _, bc := range res.Cookies {
		hc := &http.Cookie{Name: bc.Name, Value: bc.Value, Domain: bc.Domain, Path: bc.Path, HttpOnly: bc.HTTPOnly, Secure: bc.Secure}
		switch bc.SameSite {
		case network.CookieSameSiteLax:
			hc.SameSite = http.SameSiteLaxMode
		case network.CookieSameSiteStrict:
			hc.SameSite = http.SameSiteStrictMode
		case network.CookieSameSiteNone:
			hc.SameSite = http.SameSiteNoneMode
		}
		out = append(out, hc)
	}
	return out, nil
}

func (c Chromium) screenshot(ctx context.Context, name string) {
	if c.Screenshots == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err == nil {
		_ = os.WriteFile(filepath.Join(c.Screenshots, name+".png"), png, 0o644)
	}
}
