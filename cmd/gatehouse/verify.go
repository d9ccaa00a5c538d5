package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/appverify"
)

// errVerifyFailed makes the process exit non-zero after the report is printed.
var errVerifyFailed = errors.New("the app failed a check of the guide's “How to Verify It Worked”")

type verifyFlags struct {
	cfg                          appverify.Config
	caFile, browser, screenshots string
	json                         bool
}

func (m *Main) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify --app URL --user EMAIL --password PASSWORD [--api URL] [--wait DURATION] [--json]",
		Short: "Run the seed guide's \"How to Verify It Worked\" against a running app",
		Long: `Work through the seed guide's "How to Verify It Worked" against a running app, as a person would:

  1. modifying the callback URL fails (at the tenant), and a forged callback makes no session;
  2. an invalid token gets 401 from the API (--api, a route of the step-7 API);
  3. once the access token has expired (--wait: the API's token lifetime), refresh works;
  4. the admin route without the admin role is denied (--user has no admin role; --admin-user,
     when given, shows the route works for an admin);
  5. after logout a protected page redirects to login, and the tenant's session is gone too;
  6. the session cookie is HttpOnly, and Secure when the app is served over https (SameSite shown).

The routes default to the guide's (nextjs-auth0 v3 and the Go seed app): /api/auth/login,
/api/auth/callback, /api/auth/logout, /dashboard, /admin and /api/data. Users sign in through
headless Chromium when one is installed (--browser), otherwise through the hosted login form over
HTTP. Each check prints PASS, FAIL or SKIP with its evidence; the exit status is 1 on any failure.
The password may come from GATEHOUSE_VERIFY_PASSWORD and GATEHOUSE_VERIFY_ADMIN_PASSWORD instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runVerify(cmd.Context(), f) },
	}
	c := &f.cfg
	fl := cmd.Flags()
	fl.StringVar(&c.App, "app", "", "the app's base URL (AUTH0_BASE_URL), e.g. http://localhost:3000")
	fl.StringVar(&c.User, "user", "", "a user without the admin role")
	fl.StringVar(&c.Password, "password", "", "that user's password")
	fl.StringVar(&c.AdminUser, "admin-user", "", "a user with the admin role (optional)")
	fl.StringVar(&c.AdminPassword, "admin-password", "", "that user's password")
	fl.StringVar(&c.API, "api", "", "a route of the API that validates access tokens, e.g. http://localhost:3001/api/private")
	fl.DurationVar(&c.Wait, "wait", 0, "the API's access token lifetime: the refresh check waits this long (0 skips it)")
	fl.StringVar(&c.LoginPath, "login-path", "", "the app's login route (default /api/auth/login)")
	fl.StringVar(&c.LogoutPath, "logout-path", "", "the app's logout route (default /api/auth/logout)")
	fl.StringVar(&c.CallbackPath, "callback-path", "", "the app's callback route (default /api/auth/callback)")
	fl.StringVar(&c.ProtectedPage, "protected-page", "", "a page that needs a session (default /dashboard)")
	fl.StringVar(&c.AdminPage, "admin-page", "", "a page that needs the admin role (default /admin)")
	fl.StringVar(&c.TokenRoute, "token-route", "", "an app route that calls the API with the session's access token (default /api/data)")
	fl.StringVar(&c.SessionCookie, "session-cookie", "", "the session cookie's name (default: appSession, __session, or what the callback sets)")
	fl.StringVar(&f.caFile, "cacert", "", "PEM file of a CA to trust besides the system's (a gatehouse dev CA)")
	fl.StringVar(&f.browser, "browser", "auto", `"auto" (Chromium when installed), "none" (HTTP only), or a browser's path`)
	fl.StringVar(&f.screenshots, "screenshots", "", "directory for screenshots of the browser's sign-in")
	fl.BoolVar(&f.json, "json", false, "print the results as JSON")
	return cmd
}

func (m *Main) runVerify(ctx context.Context, f verifyFlags) error {
	c := f.cfg
	if c.Password == "" && m.Getenv != nil {
		c.Password = m.Getenv("GATEHOUSE_VERIFY_PASSWORD")
	}
	if c.AdminPassword == "" && m.Getenv != nil {
		c.AdminPassword = m.Getenv("GATEHOUSE_VERIFY_ADMIN_PASSWORD")
	}
	hc, err := doctorHTTPClient(f.caFile)
	if err != nil {
		return err
	}
	hc.Timeout = 30 * time.Second
	c.HTTP = hc
	mode := "an HTTP client"
	if path := browserPath(f.browser); path != "" {
		c.Browser = appverify.Chromium{Path: path, Screenshots: f.screenshots}
		mode = "headless Chromium (" + path + ")"
	} else if f.browser != "auto" && f.browser != "none" {
		return fmt.Errorf("--browser %s: not found", f.browser)
	}
	results, err := appverify.Run(ctx, c)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Status == appverify.Fail {
			failed++
		}
	}
	if f.json {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			App     string             `json:"app"`
			Driver  string             `json:"driver"`
			Results []appverify.Result `json:"results"`
		}{c.App, mode, results}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "How to Verify It Worked, against %s (signing in with %s)\n", c.App, mode)
		for _, r := range results {
			fmt.Fprintf(m.Stdout, "\n%s  %s\n", map[appverify.Status]string{appverify.Pass: "PASS", appverify.Fail: "FAIL", appverify.Skip: "SKIP"}[r.Status], r.Title)
			for _, e := range r.Evidence {
				fmt.Fprintf(m.Stdout, "      - %s\n", e)
			}
		}
		fmt.Fprintf(m.Stdout, "\n%d of %d checks failed\n", failed, len(results))
	}
	if failed > 0 {
		return errVerifyFailed
	}
	return nil
}

// browserPath resolves --browser: a path, "none", or the first Chromium or Chrome on PATH.
func browserPath(choice string) string {
	switch choice {
	case "none":
		return ""
	case "auto", "":
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
		return ""
	}
	if p, err := exec.LookPath(choice); err == nil {
		return p
	}
	return ""
}
