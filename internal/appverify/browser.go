package appverify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
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
	b, err := startCDP(c.Path, []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
		"--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
		// A development tenant's certificate comes from its own CA, which this throwaway profile
		// does not trust; what is verified here is the app's behaviour, not TLS trust.
		"--ignore-certificate-errors",
		"--window-size=1100,850", "--user-data-dir=" + profile,
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	defer b.close()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	page, err := b.newPage(sctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	step := func(what string, d time.Duration, do func(context.Context) error) error {
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if err := do(sctx); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	location := func() string {
		var loc string
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = b.eval(lctx, page, "location.href", &loc)
		return loc
	}
	const passwordField = `form input[type="password"]`
	userField := `form input[autocomplete~="username"], form input[name="username"], form input[type="email"]`
	if err := step("open "+loginURL, 20*time.Second, func(ctx context.Context) error {
		var nav struct {
			ErrorText string `json:"errorText"`
		}
		if err := b.call(ctx, page, "Page.navigate", map[string]any{"url": loginURL}, &nav); err != nil {
			return err
		}
		if nav.ErrorText != "" {
			return errors.New(nav.ErrorText)
		}
		return waitVisible(ctx, b, page, passwordField)
	}); err != nil {
		return nil, err
	}
	loginPage := location()
	c.screenshot(ctx, b, page, "verify-login-form")
	if err := step("fill in the login form", 10*time.Second, func(ctx context.Context) error {
		for _, f := range [][2]string{{userField, user}, {passwordField, password}} {
			if err := waitVisible(ctx, b, page, f[0]); err != nil {
				return err
			}
			if err := b.eval(ctx, page, "document.querySelector("+jsString(f[0])+").focus()", nil); err != nil {
				return err
			}
			// Typed as a person types: the page sees the text arrive in the focused field.
			if err := b.call(ctx, page, "Input.insertText", map[string]any{"text": f[1]}, nil); err != nil {
				return err
			}
		}
		// As pressing the form's button would: the form's submit handlers and validation run.
		return b.eval(ctx, page, "(f => f.requestSubmit ? f.requestSubmit() : f.submit())(document.querySelector("+jsString(passwordField)+").form)", nil)
	}); err != nil {
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
			c.screenshot(ctx, b, page, "verify-login-stuck")
			return nil, fmt.Errorf("the browser did not come back to %s after sign-in (it is at %s)", origin, location())
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.screenshot(ctx, b, page, "verify-signed-in")
	var res struct {
		Cookies []struct {
			Name     string `json:"name"`
			Value    string `json:"value"`
			Domain   string `json:"domain"`
			Path     string `json:"path"`
			HTTPOnly bool   `json:"httpOnly"`
			Secure   bool   `json:"secure"`
			SameSite string `json:"sameSite"`
		} `json:"cookies"`
	}
	if err := step("read the browser's cookies", 10*time.Second, func(ctx context.Context) error {
		return b.call(ctx, page, "Network.getCookies", map[string]any{"urls": []string{origin + "/", loginPage}}, &res)
	}); err != nil {
		return nil, err
	}
	var out []*http.Cookie
	for _, bc := range res.Cookies {
		hc := &http.Cookie{Name: bc.Name, Value: bc.Value, Domain: bc.Domain, Path: bc.Path, HttpOnly: bc.HTTPOnly, Secure: bc.Secure}
		switch bc.SameSite {
		case "Lax":
			hc.SameSite = http.SameSiteLaxMode
		case "Strict":
			hc.SameSite = http.SameSiteStrictMode
		case "None":
			hc.SameSite = http.SameSiteNoneMode
		}
		out = append(out, hc)
	}
	return out, nil
}

// waitVisible waits until the page shows an element matching selector (laid out, not hidden).
func waitVisible(ctx context.Context, b *cdpBrowser, page, selector string) error {
	expr := `(e => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")(document.querySelector(` + jsString(selector) + `))`
	for {
		var ok bool
		if err := b.eval(ctx, page, expr, &ok); err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no visible %s: %w", selector, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (c Chromium) screenshot(ctx context.Context, b *cdpBrowser, page, name string) {
	if c.Screenshots == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var shot struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := b.call(sctx, page, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err == nil {
		_ = os.WriteFile(filepath.Join(c.Screenshots, name+".png"), shot.Data, 0o644)
	}
}
