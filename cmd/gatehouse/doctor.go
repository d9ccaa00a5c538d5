package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/checklist"
)

// doctorFlags select the tenant (local data, or a remote Management API) and the app to check.
type doctorFlags struct {
	local                          configFlags
	domain, clientID, clientSecret string
	caFile, envFile                string
	json                           bool
}

// errChecksFailed makes the process exit non-zero after the report is printed.
var errChecksFailed = errors.New("the security checklist has failures")

func (m *Main) doctorCommand() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor [--data DIR | --config FILE | --domain D --client-id ID --client-secret S] [--env-file .env.local] [--json]",
		Short: "Run the seed guide's security checklist against a tenant and an app's settings",
		Long: `Run the seed guide's "Auth0 Security Checklist" against a tenant: exact callback URLs, the
implicit grant off, Authorization Code with PKCE, refresh token rotation with an absolute lifetime of
30 days or less, an API audience with RBAC, roles added to tokens by a Login Action, secrets kept out
of front-end apps, logout URLs, HTTPS off localhost.

The tenant is a local one (the same --config / --data / GATEHOUSE_* settings as serve, read from its
database), or a remote one through its Management API (--domain with --client-id and --client-secret
of a machine-to-machine application allowed read:clients, read:resource_servers and read:actions —
Gatehouse or Auth0 alike). With --env-file, the app's side too: AUTH0_SECRET long, random and not a
placeholder, its application and exact callback, logout URL, AUTH0_AUDIENCE registered, tokens
verifiable with the issuer's JWKS, HTTPS off localhost.

Each finding names the setting, why it matters and the fix. The exit status is 1 when any check
fails; --json prints the report for CI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runDoctor(cmd.Context(), f) },
	}
	f.local.register(cmd)
	cmd.Flags().StringVar(&f.domain, "domain", "", "a remote tenant's domain (or https:// URL), read through its Management API")
	cmd.Flags().StringVar(&f.clientID, "client-id", "", "with --domain: a Management API client's id")
	cmd.Flags().StringVar(&f.clientSecret, "client-secret", "", "with --domain: its secret (or GATEHOUSE_DOCTOR_CLIENT_SECRET)")
	cmd.Flags().StringVar(&f.caFile, "cacert", "", "PEM file of a CA to trust besides the system's (a gatehouse dev CA)")
	cmd.Flags().StringVar(&f.envFile, "env-file", "", "the app's .env.local, to check the app's side too")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON")
	return cmd
}

// doctorReport is what --json prints.
type doctorReport struct {
	Tenant string       `json:"tenant"`
	App    string       `json:"app,omitempty"`
	Passed int          `json:"passed"`
	Failed int          `json:"failed"`
	Manual int          `json:"manual"`
	Items  []doctorItem `json:"items"`
}

type doctorItem struct {
	ID       string          `json:"id"`
	Scope    string          `json:"scope"` // "tenant" or "app"
	Title    string          `json:"title"`
	Status   string          `json:"status"`
	Why      string          `json:"why"`
	Passed   string          `json:"passed,omitempty"`
	Findings []doctorFinding `json:"findings,omitempty"`
	Fix      string          `json:"fix,omitempty"`
}

type doctorFinding struct {
	Text    string `json:"text"`
	Kind    string `json:"kind,omitempty"`
	ID      string `json:"id,omitempty"`
	Setting string `json:"setting,omitempty"`
}

func (m *Main) runDoctor(ctx context.Context, f doctorFlags) error {
	hc, err := doctorHTTPClient(f.caFile)
	if err != nil {
		return err
	}
	var env checklist.Env
	if f.envFile != "" {
		fh, err := os.Open(f.envFile)
		if err != nil {
			return err
		}
		env, err = checklist.ParseEnv(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.envFile, err)
		}
	}

	var (
		t        checklist.Tenant
		keys     checklist.Keys
		tenantID string
	)
	if f.domain != "" {
		secret := f.clientSecret
		if secret == "" && m.Getenv != nil {
			secret = m.Getenv("GATEHOUSE_DOCTOR_CLIENT_SECRET")
		}
		if f.clientID == "" || secret == "" {
			return errors.New("--domain needs --client-id and --client-secret (or GATEHOUSE_DOCTOR_CLIENT_SECRET)")
		}
		mc, err := checklist.NewManagementClient(ctx, hc, f.domain, f.clientID, secret)
		if err != nil {
			return err
		}
		if t, err = checklist.Load(ctx, mc); err != nil {
			return err
		}
		tenantID = mc.Base
		if env != nil {
			keys = checklist.FetchKeys(ctx, hc, mc.Base)
		}
	} else {
		cfg, st, _, err := m.openTenant(ctx, f.local)
		if err != nil {
			return err
		}
		defer st.Close()
		if t, err = loadStoreTenant(ctx, st); err != nil {
			return err
		}
		tenantID = cfg.Issuer
		keys = storeKeys(ctx, st)
	}

	rep := doctorReport{Tenant: tenantID, App: f.envFile}
	covered := map[string]bool{}
	var appItems []checklist.Item
	if env != nil {
		appItems = checklist.RunApp(env, t, tenantID, keys)
		covered = map[string]bool{"secret": true, "token-validation": true}
	}
	for _, it := range checklist.RunTenant(t) {
		if !covered[it.ID] {
			rep.Items = append(rep.Items, reportItem("tenant", it))
		}
	}
	for _, it := range appItems {
		rep.Items = append(rep.Items, reportItem("app", it))
	}
	for _, it := range rep.Items {
		switch checklist.Status(it.Status) {
		case checklist.Pass:
			rep.Passed++
		case checklist.Fail:
			rep.Failed++
		default:
			rep.Manual++
		}
	}
	if f.json {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printDoctor(m.Stdout, rep)
	}
	if rep.Failed > 0 {
		return errChecksFailed
	}
	return nil
}

func reportItem(scope string, it checklist.Item) doctorItem {
	d := doctorItem{ID: it.ID, Scope: scope, Title: it.Title, Status: string(it.Status), Why: it.Why, Passed: it.Passed}
	if it.Status != checklist.Pass {
		d.Fix = it.Fix
	}
	for _, f := range it.Findings {
		df := doctorFinding{Text: f.Text, Kind: f.Subject.Kind, ID: f.Subject.ID}
		if f.Subject.Kind == "env" {
			df.Setting, df.ID = f.Subject.ID, ""
		}
		d.Findings = append(d.Findings, df)
	}
	return d
}

func printDoctor(w io.Writer, rep doctorReport) {
	fmt.Fprintf(w, "Security checklist for %s", rep.Tenant)
	if rep.App != "" {
		fmt.Fprintf(w, " and the app of %s", rep.App)
	}
	fmt.Fprintln(w)
	for _, it := range rep.Items {
		mark := map[string]string{"pass": "PASS", "fail": "FAIL"}[it.Status]
		if mark == "" {
			mark = "NOTE"
		}
		fmt.Fprintf(w, "\n%s  %s (%s)\n", mark, it.Title, it.Scope)
		switch it.Status {
		case "pass":
			fmt.Fprintf(w, "      %s\n", it.Passed)
		default:
			fmt.Fprintf(w, "      Why: %s\n", it.Why)
			for _, f := range it.Findings {
				fmt.Fprintf(w, "      - %s\n", f.Text)
			}
			if it.Fix != "" {
				fmt.Fprintf(w, "      Fix: %s\n", it.Fix)
			}
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d left to check by hand\n", rep.Passed, rep.Failed, rep.Manual)
}

// doctorHTTPClient trusts the system's CAs and, when given, one more (a gatehouse dev CA).
func doctorHTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: tr}, nil
}
