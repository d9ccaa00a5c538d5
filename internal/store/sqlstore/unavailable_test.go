package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// TestWithTxUnavailable: a transaction run through WithTx that loses its connection (here: fn
// meets the error the Dialect recognises; a failed COMMIT takes the same path) reports
// domain.ErrUnavailable, which the token endpoint answers 503, as the store's own writes do.
func TestWithTxUnavailable(t *testing.T) {
	lost := errors.New("conn closed")
	d := *sqlite.Dialect()
	d.Unavailable = func(err error) bool { return errors.Is(err, lost) }
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sqlstore.New(sqlstore.Config{Dialect: &d, DB: db})
	err = s.WithTx(context.Background(), func(store.Store) error { return lost })
	if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, lost) {
		t.Fatalf("WithTx after a lost connection: %v, want domain.ErrUnavailable wrapping it", err)
	}
	err = s.WithTx(context.Background(), func(store.Store) error { return errors.New("bad input") })
	if errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("an ordinary failure reported as unavailable: %v", err)
	}
}
