package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
)

// startPostgresNodes starts n nodes on one fresh PostgreSQL schema, as a cluster behind a load
// balancer runs. Skips when GATEHOUSE_TEST_POSTGRES_URL is unset. opts are startNode's.
func startPostgresNodes(t *testing.T, n int, opts ...any) []*node {
	t.Helper()
	return startNodes(t, pgtest.SchemaURL(t), n, opts...)
}

// startNodes starts n nodes on one database, as a cluster behind a load balancer runs: one issuer
// (the first node's address), one master key, each node with its own store, connections and clock
// reads. The tenant is seeded once, through the first node, as `gatehouse dev` seeds it.
func startNodes(t testing.TB, database string, n int, opts ...any) []*node {
	t.Helper()
	dir := t.TempDir()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	var (
		nodes  []*node
		issuer string
		tenant *devtenant.File
	)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			issuer = "http://" + ln.Addr().String() + "/"
		}
		cfg := config.Default()
		cfg.Issuer = issuer
		cfg.Addr = ln.Addr().String()
		cfg.Database = database
		cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
		for _, opt := range opts {
			if f, ok := opt.(func(*config.Config)); ok {
				f(&cfg)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		fast := password.Hasher{P: password.Fast()}
		o := app.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hasher: fast}
		for _, opt := range opts {
			switch f := opt.(type) {
			case func(*app.Options):
				f(&o)
			case func(*config.Config):
			default:
				t.Fatalf("startNodes: option %T is neither func(*config.Config) nor func(*app.Options)", opt)
			}
		}
		seedNow := time.Now
		if o.Now != nil {
			seedNow = o.Now
		}
		a, err := app.New(ctx, cfg, o)
		if err != nil {
			cancel()
			ln.Close()
			t.Fatal(err)
		}
		if i == 0 {
			tenant, err = devtenant.Seed(ctx, a.Store, devtenant.Options{Issuer: issuer, Path: filepath.Join(dir, "dev-tenant.json"),
				ManagementAudience: issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(),
				Hasher: fast, Now: seedNow})
			if err != nil {
				cancel()
				a.Close()
				t.Fatal(err)
			}
		}
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx, ln) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Error("node did not stop")
			}
			a.Close()
		})
		// issuer holds the node's own base URL: requests go to this node, tokens name the first.
		nodes = append(nodes, &node{App: a, issuer: "http://" + ln.Addr().String() + "/", tenant: tenant})
	}
	return nodes
}
