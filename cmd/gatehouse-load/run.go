package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// options are the command line.
type options struct {
	scenario     string
	urls         []string
	concurrency  int
	duration     time.Duration
	count        int
	clientID     string
	clientSecret string
	webClientID  string
	callback     string
	audience     string
	caFile       string
	rawFor       time.Duration
	rssPID       int
	rssMetrics   string
	metricsToken string
	rssEvery     time.Duration
}

func parse(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.scenario, "scenario", "client_credentials", "client_credentials, jwks, jwks_revalidate, discovery or signin_flood")
	urls := fs.String("url", "", "base URL(s) of the node(s), comma-separated, requests spread round-robin (default: the tenant file's issuer)")
	fs.IntVar(&o.concurrency, "c", 16, "concurrent requests")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to run (ignored with -n)")
	fs.IntVar(&o.count, "n", 0, "number of requests to send instead of a duration")
	tenant := fs.String("tenant", "", "dev-tenant.json to read the issuer, the M2M client and the API from")
	fs.StringVar(&o.clientID, "client-id", "", "client_credentials: the client id")
	fs.StringVar(&o.clientSecret, "client-secret", "", "client_credentials: the client secret")
	fs.StringVar(&o.audience, "audience", "", "client_credentials: the API identifier")
	fs.StringVar(&o.webClientID, "web-client-id", "", "signin_flood: the web application's client id")
	fs.StringVar(&o.callback, "callback", "", "signin_flood: the web application's callback URL")
	fs.StringVar(&o.caFile, "ca", "", "PEM file of a CA to trust for HTTPS (default: the tenant file's dev CA)")
	fs.DurationVar(&o.rawFor, "raw", 2*time.Second, "how long to measure the raw RS256 signing rate, before and after the load")
	fs.IntVar(&o.rssPID, "rss-pid", 0, "sample this local server process's RSS (/proc/<pid>/status) during the run")
	fs.StringVar(&o.rssMetrics, "rss-metrics", "", "sample the server's RSS from this /metrics URL (process_resident_memory_bytes) during the run")
	fs.StringVar(&o.metricsToken, "metrics-token", "", "bearer token for -rss-metrics")
	fs.DurationVar(&o.rssEvery, "rss-every", 5*time.Second, "RSS sampling interval")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (the suite is \"gatehouse-load suite\")", fs.Args())
	}
	if *tenant != "" {
		if err := o.fromTenant(*tenant, *urls == ""); err != nil {
			return o, err
		}
	}
	for _, u := range strings.Split(*urls, ",") {
		if u = strings.TrimSpace(u); u != "" {
			o.urls = append(o.urls, strings.TrimSuffix(u, "/")+"/")
		}
	}
	switch {
	case len(o.urls) == 0:
		return o, errors.New("no target: give -url or -tenant")
	case o.concurrency < 1:
		return o, errors.New("-c must be at least 1")
	case o.count < 0 || (o.count == 0 && o.duration <= 0):
		return o, errors.New("give a positive -n or -d")
	case o.rssPID < 0 || o.rssEvery <= 0:
		return o, errors.New("-rss-pid and -rss-every must be positive")
	case o.rssPID > 0 && o.rssMetrics != "":
		return o, errors.New("give -rss-pid or -rss-metrics, not both")
	}
	if _, ok := scenarios[o.scenario]; !ok {
		return o, fmt.Errorf("unknown scenario %q (client_credentials, jwks, jwks_revalidate, discovery, signin_flood)", o.scenario)
	}
	if o.scenario == "signin_flood" && (o.webClientID == "" || o.callback == "") {
		return o, errors.New("signin_flood needs -web-client-id and -callback (or -tenant)")
	}
	if o.scenario == "client_credentials" && (o.clientID == "" || o.clientSecret == "" || o.audience == "") {
		return o, errors.New("client_credentials needs -client-id, -client-secret and -audience (or -tenant)")
	}
	return o, nil
}

// fromTenant fills what the options lack from a dev-tenant.json.
func (o *options) fromTenant(path string, useIssuer bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var f struct {
		Issuer string `json:"issuer"`
		CACert string `json:"ca_cert"`
		API    struct {
			Identifier string `json:"identifier"`
		} `json:"api"`
		M2M struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		} `json:"m2m_app"`
		Web struct {
			ClientID string `json:"client_id"`
			Callback string `json:"callback"`
		} `json:"web_app"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if useIssuer {
		o.urls = []string{f.Issuer}
	}
	o.clientID = cmp(o.clientID, f.M2M.ClientID)
	o.clientSecret = cmp(o.clientSecret, f.M2M.ClientSecret)
	o.audience = cmp(o.audience, f.API.Identifier)
	o.caFile = cmp(o.caFile, f.CACert)
	o.webClientID = cmp(o.webClientID, f.Web.ClientID)
	o.callback = cmp(o.callback, f.Web.Callback)
	return nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (o options) client() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.concurrency
	tr.MaxConnsPerHost = o.concurrency
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificate", o.caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// run is the program: measure the raw signing rate, run the load (sampling the server's RSS when
// asked), measure again, print. "gatehouse-load suite …" runs every figure instead (suite.go).
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "suite" {
		return runSuite(ctx, args[1:], out)
	}
	o, err := parse(args, out)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	var sampler *rssSampler
	switch {
	case o.rssPID > 0:
		sampler = sampleRSS(ctx, procRSS(o.rssPID), o.rssEvery)
	case o.rssMetrics != "":
		sampler = sampleRSS(ctx, metricsRSS(c, o.rssMetrics, o.metricsToken), o.rssEvery)
	}
	workers := runtime.GOMAXPROCS(0)
	before := rawSignRate(ctx, o.rawFor, workers)
	res := load(ctx, c, o, newWorkers(o))
	after := rawSignRate(ctx, o.rawFor, workers)
	report(out, o, res, before, after, workers)
	if sampler != nil {
		fmt.Fprintf(out, "server RSS   %s\n", sampler.stop())
	}
	return nil
}
