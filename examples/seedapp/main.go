// Command seedapp runs the application of the guide "How to Set Up Auth0 Securely" in Go: the web
// app (the guide's Next.js app, on sdk/webauth) on :3000 and the API it calls (the guide's Express
// API, on sdk/apiauth) on :3001. It reads the guide's AUTH0_* variables from the environment and
// from .env.local in the working directory, as Next.js does; real environment variables win.
//
//	go run ./cmd/gatehouse dev                              # prints the .env.local block
//	go run ./examples/seedapp -trust-ca .gatehouse/ca/ca.pem
//
// Flags (and their environment variables):
//
//	-web-addr  SEEDAPP_WEB_ADDR  listen address of the web app (default localhost:3000)
//	-api-addr  SEEDAPP_API_ADDR  listen address of the API (default localhost:3001)
//	-api-url   SEEDAPP_API_URL   where the web app reaches the API (default http://<api-addr>)
//	-trust-ca  NODE_EXTRA_CA_CERTS  PEM file of an extra CA to trust for the issuer (gatehouse dev's)
//	-env-file                    the .env file to read (default .env.local; missing is fine)
//
// USER_SYNC_SECRET (environment or .env.local; gatehouse dev prints it) turns on the API's
// POST /hooks/user-sync, called by the dev tenant's "Sync users to your app" Action.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "seedapp:", err)
		os.Exit(1)
	}
}

type options struct {
	webAddr, apiAddr, apiURL, trustCA, envFile string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("seedapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.webAddr, "web-addr", envOr("SEEDAPP_WEB_ADDR", "localhost:3000"), "listen address of the web app")
	fs.StringVar(&o.apiAddr, "api-addr", envOr("SEEDAPP_API_ADDR", "localhost:3001"), "listen address of the API")
	fs.StringVar(&o.apiURL, "api-url", os.Getenv("SEEDAPP_API_URL"), "base URL the web app calls the API at (default http://<api-addr>)")
	fs.StringVar(&o.trustCA, "trust-ca", os.Getenv("NODE_EXTRA_CA_CERTS"), "PEM file of an extra CA to trust for the issuer (default $NODE_EXTRA_CA_CERTS)")
	fs.StringVar(&o.envFile, "env-file", ".env.local", "file of KEY='value' lines read before the environment")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.apiURL == "" {
		o.apiURL = "http://" + o.apiAddr
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if _, err := seedapp.LoadDotEnv(o.envFile); err != nil {
		return err
	}
	// -trust-ca defaults to NODE_EXTRA_CA_CERTS, which .env.local may have just set.
	if o.trustCA == "" {
		o.trustCA = os.Getenv("NODE_EXTRA_CA_CERTS")
	}
	client, err := seedapp.TrustingClient(o.trustCA)
	if err != nil {
		return err
	}
	auth, err := webauth.FromEnv()
	if err != nil {
		return err
	}
	cfg := seedapp.Config{Auth: auth, APIBaseURL: o.apiURL, HTTPClient: client, Logger: log,
		UserSyncSecret: os.Getenv("USER_SYNC_SECRET")}
	web, err := seedapp.NewWeb(cfg)
	if err != nil {
		return err
	}
	api, err := seedapp.NewAPI(cfg)
	if err != nil {
		return err
	}
	webLn, err := net.Listen("tcp", o.webAddr)
	if err != nil {
		return err
	}
	apiLn, err := net.Listen("tcp", o.apiAddr)
	if err != nil {
		webLn.Close()
		return err
	}
	if u, err := url.Parse(auth.BaseURL); err == nil && effectivePort(u) != portOf(webLn.Addr()) {
		log.Warn("AUTH0_BASE_URL's port differs from the web app's; the callback will not reach this process",
			"base_url", auth.BaseURL, "listening", webLn.Addr().String())
	}
	log.Info("web app listening", "url", auth.BaseURL, "addr", webLn.Addr().String())
	log.Info("API listening", "url", o.apiURL, "addr", apiLn.Addr().String())
	if cfg.UserSyncSecret != "" {
		log.Info("user sync hook listening", "url", o.apiURL+"/hooks/user-sync")
	}

	errs := make(chan error, 2)
	servers := []*http.Server{newServer(web), newServer(api)}
	go func() { errs <- servers[0].Serve(webLn) }()
	go func() { errs <- servers[1].Serve(apiLn) }()
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
}

func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// effectivePort is u's port, or its scheme's default.
func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
