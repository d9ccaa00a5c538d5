package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

const racers = 20

// race runs fn on racers goroutines released together and returns their errors.
func race(fn func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, racers)
	)
	for i := 0; i < racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func tally(t *testing.T, errs []error, loser error) (wins int) {
	t.Helper()
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, loser):
		default:
			t.Errorf("racer %d: error = %v, want nil or %v", i, err, loser)
		}
	}
	return wins
}

// testRaceRedeemCode: of 20 concurrent redemptions of one code exactly one succeeds.
func testRaceRedeemCode(t *testing.T, s store.Store) {
	t0 := now()
	c := newCode("raced", t0)
	must(t, s.CreateAuthorizationCode(ctx, c))
	errs := race(func(int) error {
		got, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, t0.Add(time.Second))
		if errors.Is(err, store.ErrAlreadyUsed) && got == nil {
			return fmt.Errorf("ErrAlreadyUsed without the record")
		}
		return err
	})
	if wins := tally(t, errs, store.ErrAlreadyUsed); wins != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1", wins)
	}
}

// testRaceRotateRefresh: of 20 concurrent rotations of one token (no leeway) on one store exactly
// one succeeds; the others are reuses, and the family ends revoked. RunRaces races separate
// connections.
func testRaceRotateRefresh(t *testing.T, s store.Store) {
	c := MustClient(t, s, "web")
	u := MustUser(t, s, "race@example.com")
	rt := mustRefresh(t, s, c.ClientID, u.UserID, "raced")
	errs := race(func(i int) error {
		next := &domain.RefreshToken{TokenHash: domain.HashSecret(fmt.Sprintf("raced-next-%d", i)), Rotating: true}
		_, err := s.RotateRefreshToken(ctx, rt.TokenHash, next, clock, 0) // each racer reads the clock itself
		return err
	})
	if wins := tally(t, errs, store.ErrRefreshReused); wins != 1 {
		t.Fatalf("%d rotations succeeded, want exactly 1", wins)
	}
	for i, err := range errs {
		if err != nil {
			continue
		}
		won, gerr := s.GetRefreshToken(ctx, domain.HashSecret(fmt.Sprintf("raced-next-%d", i)))
		must(t, gerr)
		if won.RevokedAt == nil {
			t.Fatal("the family is not revoked after the reuses")
		}
		eq(t, "winner generation", won.Generation, 1)
	}
}

// testRaceRotateKeys: of 20 nodes rotating from the same current key, one wins and the rest get a
// conflict; one current and one next key remain.
func testRaceRotateKeys(t *testing.T, s store.Store) {
	t0 := now()
	cur := newKey("cur", domain.KeyCurrent, t0)
	must(t, s.CreateSigningKey(ctx, cur))
	must(t, s.CreateSigningKey(ctx, newKey("next", domain.KeyNext, t0)))
	errs := race(func(i int) error {
		return s.RotateSigningKeys(ctx, "cur", newKey(fmt.Sprintf("new-%d", i), "", t0), t0.Add(time.Minute))
	})
	if wins := tally(t, errs, store.ErrConflict); wins != 1 {
		t.Fatalf("%d rotations succeeded, want exactly 1", wins)
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	count := map[string]int{}
	for _, k := range keys {
		count[k.State]++
	}
	if count[domain.KeyCurrent] != 1 || count[domain.KeyNext] != 1 || count[domain.KeyPrevious] != 1 || len(keys) != 3 {
		t.Fatalf("key states after the race = %v (%d keys)", count, len(keys))
	}
}
