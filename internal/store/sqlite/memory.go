package sqlite

import (
	"context"
	"fmt"
)

// ReleaseMemory asks SQLite to free what the write connection holds but does not need, chiefly
// its page cache. A node calls it once it is built: migrations and a first start's seeding pass
// every page of the database through that cache, which otherwise stays full, idle, for as long as
// the node runs. Later statements refill it with the pages they use.
func (s *Store) ReleaseMemory(ctx context.Context) error {
	if _, err := s.DB().ExecContext(ctx, "PRAGMA shrink_memory"); err != nil {
		return fmt.Errorf("sqlite: release memory: %w", err)
	}
	return nil
}

// newSchemaCacheKiB is the write connection's page cache while a new database's schema is made.
const newSchemaCacheKiB = 64

// Migrate brings the schema up to date (sqlstore.Store.Migrate). On a new database the whole
// schema is written in one transaction whose pages all pass through the write connection's page
// cache. SQLite's allocator keeps the memory it frees for reuse, so a cache that filled during
// that transaction stays resident for the life of the node even after ReleaseMemory: about 1.3 MiB
// more at idle after a first start than after a restart. The schema of an empty database gains
// nothing from a cache (the transaction spills its pages to the WAL instead), so it is written
// with a small one, and the connection's own size is restored afterwards. An existing database
// migrates with its usual cache: there a migration may build indexes over many rows.
func (s *Store) Migrate(ctx context.Context) (version int, err error) {
	var made int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'").Scan(&made); err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if made == 0 {
		var size int
		if err := s.DB().QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil {
			return 0, fmt.Errorf("sqlite: migrate: %w", err)
		}
		if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", newSchemaCacheKiB)); err != nil {
			return 0, fmt.Errorf("sqlite: migrate: %w", err)
		}
		defer func() {
			if _, rerr := s.DB().ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", size)); rerr != nil && err == nil {
				err = fmt.Errorf("sqlite: migrate: restore the page cache: %w", rerr)
			}
		}()
	}
	return s.Store.Migrate(ctx)
}
