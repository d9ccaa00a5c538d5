package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// ErrSchemaNotCurrent: the database is behind the schema this binary needs; `gatehouse migrate`
// brings it up to date.
var ErrSchemaNotCurrent = errors.New("the database schema is not current")

type migratingStore interface {
	store.Store
	store.Migrator
	// Pools names the store's connection pools (metrics).
	Pools() map[string]*sql.DB
}

// OpenStore opens the configured database and brings its schema up to date. A schema newer than this
// binary is refused (store.ErrSchemaTooNew) and left untouched.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, int, error) {
	return openStore(ctx, cfg, nil)
}

// openStore is OpenStore telling observe how long the store's statements take.
func openStore(ctx context.Context, cfg config.Config, observe func(string, time.Duration)) (migratingStore, int, error) {
	st, err := open(ctx, cfg, observe)
	if err != nil {
		return nil, 0, err
	}
	version, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, 0, fmt.Errorf("migrate the database: %w", err)
	}
	return st, version, nil
}

// OpenCurrentStore opens the configured database without migrating it and refuses one whose
// schema is not exactly the version this binary carries: commands that write records (creating an
// administrator or a client) must not run on a schema they were not written for, nor migrate a
// production database as a side effect.
func OpenCurrentStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	st, err := open(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	current, known, err := st.SchemaVersion(ctx)
	switch {
	case err != nil:
		st.Close()
		return nil, err
	case current > known:
		st.Close()
		return nil, fmt.Errorf("%w: database is at version %d, this binary knows %d; use a newer gatehouse",
			store.ErrSchemaTooNew, current, known)
	case current < known:
		st.Close()
		return nil, fmt.Errorf("%w: database is at version %d, this binary needs %d; run `gatehouse migrate` with the same settings first",
			ErrSchemaNotCurrent, current, known)
	}
	return st, nil
}

func open(ctx context.Context, cfg config.Config, observe func(string, time.Duration)) (migratingStore, error) {
	var (
		st  migratingStore
		err error
	)
	switch cfg.DatabaseKind() {
	case "postgres":
		st, err = postgres.Open(ctx, cfg.Database, postgres.Options{Observe: observe})
	default:
		st, err = sqlite.Open(ctx, cfg.Database, sqlite.Options{Observe: observe})
	}
	if err != nil {
		return nil, fmt.Errorf("open the database: %w", err)
	}
	return st, nil
}
