package postgres_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// SchemaVersion reads without changing: on an empty schema it reports 0 and leaves no
// schema_migrations table behind (its CREATE runs in a transaction rolled back); after Migrate it
// reports the known version.
func TestSchemaVersionChangesNothing(t *testing.T) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, MustSchemaURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	current, known, err := st.SchemaVersion(ctx)
	if err != nil || current != 0 || known < 1 {
		t.Fatalf("empty schema: %d %d %v", current, known, err)
	}
	var table *string
	if err := st.DB().QueryRowContext(ctx, `SELECT to_regclass('schema_migrations')::text`).Scan(&table); err != nil || table != nil {
		t.Fatalf("SchemaVersion left schema_migrations behind: %v %v", table, err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if current, known2, err := st.SchemaVersion(ctx); err != nil || current != known || known2 != known {
		t.Fatalf("migrated schema: %d %d %v", current, known2, err)
	}
}
