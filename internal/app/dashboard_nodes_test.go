package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
)

// Nodes starting together on an empty PostgreSQL database all come up, with one dashboard client
// and one of each dashboard role between them.
func TestNodesStartingTogetherShareOneDashboard(t *testing.T) {
	database := pgtest.SchemaURL(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := config.Default()
	cfg.Issuer, cfg.Addr, cfg.Database = "http://127.0.0.1:1/", "127.0.0.1:0", database
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	if _, _, err := app.OpenStore(context.Background(), cfg); err != nil { // migrate once, as an operator would
		t.Fatal(err)
	}
	const n = 4
	apps := make([]*app.App, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			apps[i], errs[i] = app.New(context.Background(), cfg, app.Options{Hasher: password.Hasher{P: password.Fast()},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("node %d: %v", i, errs[i])
			continue
		}
		defer apps[i].Close()
	}
	if t.Failed() {
		return
	}
	ctx := context.Background()
	clients, _, err := apps[0].Store.ListClients(ctx, store.ClientFilter{}, store.Page{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	dashboards := 0
	for _, c := range clients {
		if c.Name == bootstrap.DashboardClientName {
			dashboards++
		}
	}
	for _, name := range []string{bootstrap.AdminRole, bootstrap.ReadOnlyRole} {
		roles, _, err := apps[0].Store.ListRoles(ctx, name, store.Page{})
		if err != nil || len(roles) != 1 {
			t.Errorf("roles named %q: %d %v", name, len(roles), err)
		}
	}
	if dashboards != 1 {
		t.Errorf("%d dashboard clients", dashboards)
	}
}
