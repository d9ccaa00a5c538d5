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
