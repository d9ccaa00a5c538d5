package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devmail"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// devUpstreamDir is where the upstream tenant keeps its own database, keys and dev-tenant.json.
const devUpstreamDir = "upstream"

// devUpstream is the second, local tenant `gatehouse dev --upstream ADDR` runs: an OpenID
// provider on plain HTTP on loopback (a development node may reach it), seeded like the dev tenant
// with users of its own, and a client for the dev tenant.
type devUpstream struct {
	issuer, tenantFile string
	ready              chan devUpstreamReady
	done               chan error
}

type devUpstreamReady struct {
	file   *devtenant.File
	client devtenant.Credentials
	err    error
}

// startDevUpstream starts the upstream tenant on addr; it stops with ctx.
func (m *Main) startDevUpstream(ctx context.Context, data, addr, downstreamIssuer string, env config.Config) (*devUpstream, error) {
	dir := filepath.Join(data, devUpstreamDir)
	if err := privateDevData(dir); err != nil {
		return nil, err
	}
	masterKey, err := readOrCreateSecret(filepath.Join(dir, devMasterKeyFile))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--upstream: %w", err)
	}
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		ln.Close()
		return nil, errors.New("--upstream: the upstream tenant serves plain HTTP and listens on loopback only")
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg := config.Default()
	cfg.RateLimits, cfg.PasswordHashMemoryMiB = env.RateLimits, env.PasswordHashMemoryMiB
	cfg.Database, cfg.DataDir, cfg.MasterKey = filepath.Join(dir, devDatabaseFile), dir, masterKey
	cfg.Log.Format, cfg.Addr, cfg.Issuer = "text", ln.Addr().String(), "http://localhost:"+port+"/"
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return nil, err
	}
	u := &devUpstream{issuer: cfg.Issuer, tenantFile: filepath.Join(dir, devTenantFile), ready: make(chan devUpstreamReady, 1), done: make(chan error, 1)}
	prev := previousUpstream(filepath.Join(data, devTenantFile))
	seed := func(a *app.App) error {
		file, err := devtenant.Seed(ctx, a.Store, devtenant.Options{
			Issuer: cfg.Issuer, Path: u.tenantFile, ManagementAudience: cfg.Issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(),
			Mailbox: strings.TrimSuffix(cfg.Issuer, "/") + devmail.Path, Hasher: password.Hasher{P: password.Default()}, Now: time.Now,
		})
		var client devtenant.Credentials
		if err == nil {
			client, err = devtenant.SeedUpstreamClient(ctx, a.Store, downstreamIssuer, prev, time.Now)
		}
		u.ready <- devUpstreamReady{file: file, client: client, err: err}
		return err
	}
	node := *m // the upstream's own banner and readiness stay out of the dev tenant's
	node.Ready, node.Stdout = nil, io.Discard
	logger := m.devLogger("upstream")
	go func() {
		u.done <- node.runNode(ctx, cfg, ln, app.Options{Logger: logger, DevMailbox: true, AllowPrivateDestinations: true}, seed)
	}()
	return u, nil
}

// previousUpstream is the upstream client the dev tenant's file recorded, to keep its secret.
func previousUpstream(path string) devtenant.Credentials {
	var f devtenant.File
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &f) == nil && f.Upstream != nil {
		return f.Upstream.Client
	}
	return devtenant.Credentials{}
}

// connect waits for the upstream tenant, then gives the dev tenant its connection and records
// the upstream in the dev tenant's file.
func (u *devUpstream) connect(ctx context.Context, a *app.App, cfg config.Config, file *devtenant.File, path string) error {
	var r devUpstreamReady
	select {
	case r = <-u.ready:
	case err := <-u.done:
		return fmt.Errorf("the upstream tenant stopped: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Minute):
		return errors.New("the upstream tenant did not start within 2 minutes")
	}
	if r.err != nil {
		return fmt.Errorf("the upstream tenant: %w", r.err)
	}
	key, err := cfg.MasterKeyBytes()
	if err != nil {
		return err
	}
	secrets, err := upstream.NewSecrets(key)
	if err != nil {
		return err
	}
	if err := devtenant.SeedUpstreamConnection(ctx, a.Store, devtenant.UpstreamConnectionOptions{Issuer: u.issuer, Client: r.client,
		Seal: secrets.Seal, EnabledFor: file.WebApp.ClientID, Now: time.Now}); err != nil {
		return err
	}
	file.Upstream = &devtenant.Upstream{Issuer: u.issuer, Connection: devtenant.UpstreamConnection, Client: r.client,
		TenantFile: u.tenantFile, Users: r.file.Users}
	return devtenant.WriteFile(path, file)
}

func printUpstreamBanner(w io.Writer, up *devtenant.Upstream) {
	fmt.Fprintf(w, "Upstream tenant (an OpenID provider for brokering): %s\n", up.Issuer)
	fmt.Fprintf(w, "  \"Continue with %s\" on the login page signs in there, as:\n", devtenant.UpstreamDisplayName)
	for _, u := range up.Users {
		fmt.Fprintf(w, "  %-20s %s\n", u.Email, u.Password)
	}
	fmt.Fprintf(w, "  Its own tenant file: %s\n\n", up.TenantFile)
}
