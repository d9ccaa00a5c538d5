package storetest

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// Statements checks a backend built on sqlstore: every statement d runs prepares on db, a database
// d has migrated (so a typo, a missing column or SQL the engine does not speak fails here, not on
// the one request that runs it), and each of d's overrides differs from the generic text it
// replaces (an override that says the same is dead weight).
func Statements(t *testing.T, db *sql.DB, d *sqlstore.Dialect) {
	t.Helper()
	for id, text := range d.Overrides {
		if text == sqlstore.Generic(id) {
			t.Errorf("%s overrides statement %d with the generic text: %s", d.Name, id, firstLine(text))
		}
	}
	ctx := context.Background()
	for id, text := range d.Statements() {
		if text == "" {
			continue // nothing to run on this engine
		}
		st, err := db.PrepareContext(ctx, text)
		if err != nil {
			t.Errorf("%s: statement %d does not prepare: %v\n%s", d.Name, id, err, text)
			continue
		}
		if err := st.Close(); err != nil {
			t.Errorf("%s: statement %d: close: %v", d.Name, id, err)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
