package app

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// OpenStore opens the configured database and brings its schema up to date. A schema newer than this
// binary is refused (store.ErrSchemaTooNew) and left untouched.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, int, error) {
	var (
		st interface {
			store.Store
			store.Migrator
		}
		err error
	)
	switch cfg.DatabaseKind() {
	case "postgres":
		st, err = postgres.Open(ctx, cfg.Database, postgres.Options{})
	default:
		st, err = sqlite.Open(ctx, cfg.Database, sqlite.Options{})
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open the database: %w", err)
	}
	version, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, 0, fmt.Errorf("migrate the database: %w", err)
	}
	return st, version, nil
}
