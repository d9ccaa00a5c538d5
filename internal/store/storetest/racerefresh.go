package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// RaceOptions configure RunRaces.
type RaceOptions struct {
	// NewDB makes an empty, migrated database and returns open, which opens one more store on it
	// with connections of its own, closed when the test ends.
	NewDB func(t *testing.T) (open func(t *testing.T) store.Store)
	// WideRounds and NarrowRounds are how many times the 20-way and 2-way races repeat (default 20
	// and 100). A backend whose racers seldom interleave (SQLite's writers queue nearly in arrival
	// order) needs more rounds before a lost update would show.
	WideRounds, NarrowRounds int
}

// RunRaces runs the races that only separate connections can show. Each racer gets its own store
// and reads its own clock, as separate requests on separate nodes do; a race that shares one
// connection or one instant hides what the locks decide.
func RunRaces(t *testing.T, o RaceOptions) {
	wide, narrow := o.WideRounds, o.NarrowRounds
	if wide == 0 {
		wide = 20
	}
	if narrow == 0 {
		narrow = 100
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"RotateRefresh20", func(t *testing.T, open func(t *testing.T) store.Store) { raceRotateNoLeeway(t, open, 20, wide) }},
		{"RotateRefresh2", func(t *testing.T, open func(t *testing.T) store.Store) { raceRotateNoLeeway(t, open, 2, narrow) }},
		// Every retry succeeds and waits for the one before: few rounds, each a certain fork before.
		{"RetryWithinLeeway20", func(t *testing.T, open func(t *testing.T) store.Store) { raceRetryWithinLeeway(t, open, 20, 5) }},
		{"RetryAgainstRotation2", func(t *testing.T, open func(t *testing.T) store.Store) { raceRetryAgainstRotation(t, open, narrow) }},
		{"PollApprovedDevice20", func(t *testing.T, open func(t *testing.T) store.Store) { racePollApprovedDevice(t, open, 20, wide) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, o.NewDB(t)) })
	}
}

// racerStores are the stores of one race, each with its own connections, and the store that sets up
// the race and checks its outcome.
type racerStores struct {
	setup store.Store
	each  []store.Store
}

func openRacers(t *testing.T, open func(t *testing.T) store.Store, n int) racerStores {
	t.Helper()
	r := racerStores{setup: open(t)}
	for range n {
		r.each = append(r.each, open(t))
	}
	return r
}

// clock reads the wall clock at microsecond precision, what both engines keep. Every racer calls
// its own, at whatever moment the store asks.
func clock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// raceStores runs fn(i, stores[i]) on one goroutine per store, all released together once every
// goroutine is ready, and returns their errors.
func raceStores(stores []store.Store, fn func(i int, s store.Store) error) []error {
	var (
		ready, done sync.WaitGroup
		start       = make(chan struct{})
		errs        = make([]error, len(stores))
	)
	for i, s := range stores {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i, s)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// rotate exchanges oldHash for a token hashed from newToken on s, with the racer's clock.
func rotate(s store.Store, oldHash []byte, newToken string, clock func() time.Time, leeway time.Duration) error {
	next := &domain.RefreshToken{TokenHash: domain.HashSecret(newToken), Rotating: true}
	_, err := s.RotateRefreshToken(ctx, oldHash, next, clock, leeway)
	return err
}

// exchange is one racer's request as the token endpoint makes it: it looks the presented token up,
// lets other goroutines run (where the endpoint would run the post-login Action), then rotates it.
func exchange(s store.Store, oldHash []byte, newToken string, clock func() time.Time, leeway time.Duration) error {
	if _, err := s.GetRefreshToken(ctx, oldHash); err != nil {
		return err
	}
	runtime.Gosched()
	return rotate(s, oldHash, newToken, clock, leeway)
}

// raceRotateNoLeeway: with no leeway, of n racers exchanging one token at once exactly one gets a
// new token, on every round; every other racer is told of a reuse, so the family ends revoked and
// the winner's token cannot be exchanged either (RFC 9700 §4.14.2: one of the two parties holding
// a stolen token is bound to present an invalidated one, and the server then revokes the active one).
func raceRotateNoLeeway(t *testing.T, open func(t *testing.T) store.Store, n, rounds int) {
	r := openRacers(t, open, n)
	c := MustClient(t, r.setup, "web")
	u := MustUser(t, r.setup, "race@example.com")
	forked := 0
	for round := range rounds {
		rt := mustRefresh(t, r.setup, c.ClientID, u.UserID, fmt.Sprintf("raced-%d", round))
		errs := raceStores(r.each, func(i int, s store.Store) error {
			return exchange(s, rt.TokenHash, fmt.Sprintf("raced-%d-next-%d", round, i), clock, 0)
		})
		var winners []int
		for i, err := range errs {
			switch {
			case err == nil:
				winners = append(winners, i)
			case !errors.Is(err, store.ErrRefreshReused):
				t.Fatalf("round %d, racer %d: error = %v, want nil or ErrRefreshReused", round, i, err)
			}
		}
		if len(winners) != 1 {
			// Every round runs, so that the failure says how often the family forked.
			if forked == 0 {
				t.Errorf("round %d: %d of %d racers got a new token (racers %v), want exactly 1", round, len(winners), n, winners)
			}
			forked++
			continue
		}
		won := domain.HashSecret(fmt.Sprintf("raced-%d-next-%d", round, winners[0]))
		if err := rotate(r.setup, won, fmt.Sprintf("raced-%d-after", round), clock, 0); !errors.Is(err, store.ErrRefreshInvalid) {
			t.Fatalf("round %d: exchanging the winner's token after the reuses: %v, want ErrRefreshInvalid (family revoked)", round, err)
		}
	}
	if forked > 0 {
		t.Fatalf("the family forked in %d of %d rounds of %d racers", forked, rounds, n)
	}
}

const raceLeeway = 30 * time.Second

// raceRetryWithinLeeway: n racers retrying one token within the leeway all get a new token, but
// each retry supersedes the token the one before it gave, so afterwards exactly one of them is live
// (Auth0's reuse interval lets the previous token through; it does not start a second chain).
func raceRetryWithinLeeway(t *testing.T, open func(t *testing.T) store.Store, n, rounds int) {
	r := openRacers(t, open, n)
	c := MustClient(t, r.setup, "spa")
	u := MustUser(t, r.setup, "retry@example.com")
	for round := range rounds {
		rt := mustRefresh(t, r.setup, c.ClientID, u.UserID, fmt.Sprintf("retried-%d", round))
		issued := make([]string, n)
		errs := raceStores(r.each, func(i int, s store.Store) error {
			issued[i] = fmt.Sprintf("retried-%d-next-%d", round, i)
			return exchange(s, rt.TokenHash, issued[i], clock, raceLeeway)
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, racer %d: %v, want a new token within the leeway", round, i, err)
			}
		}
		if live := liveTokens(t, r.setup, issued); len(live) != 1 {
			t.Fatalf("round %d: %d of the %d tokens the retries gave are live, want exactly 1", round, len(live), n)
		}
	}
}

// raceRetryAgainstRotation: with the family at its second token, one racer retries the first
// (within the leeway) while another rotates the second. Whatever order they are decided in, the
// family ends with at most one live token; the two exchanges lock different rows, so only a lock
// on the family as a whole orders them. (More racers would not help: any retry decided after the
// rotation is a reuse that revokes the family, hiding what came before.)
func raceRetryAgainstRotation(t *testing.T, open func(t *testing.T) store.Store, rounds int) {
	const n = 2
	r := openRacers(t, open, n)
	c := MustClient(t, r.setup, "spa")
	u := MustUser(t, r.setup, "mixed@example.com")
	for round := range rounds {
		first := mustRefresh(t, r.setup, c.ClientID, u.UserID, fmt.Sprintf("mixed-%d", round))
		second := fmt.Sprintf("mixed-%d-second", round)
		must(t, rotate(r.setup, first.TokenHash, second, clock, raceLeeway))
		issued := make([]string, n)
		errs := raceStores(r.each, func(i int, s store.Store) error {
			presented := first.TokenHash
			if i%2 == 1 {
				presented = domain.HashSecret(second)
			}
			issued[i] = fmt.Sprintf("mixed-%d-next-%d", round, i)
			return exchange(s, presented, issued[i], clock, raceLeeway)
		})
		for i, err := range errs {
			if err != nil && !errors.Is(err, store.ErrRefreshReused) {
				t.Fatalf("round %d, racer %d: %v", round, i, err)
			}
		}
		if live := liveTokens(t, r.setup, append(issued, second)); len(live) > 1 {
			t.Fatalf("round %d: %d tokens of one family are live (%v), want at most 1", round, len(live), live)
		}
	}
}

// liveTokens returns those of tokens that exist and are neither rotated nor revoked.
func liveTokens(t *testing.T, s store.Store, tokens []string) []string {
	t.Helper()
	var live []string
	for _, tok := range tokens {
		got, err := s.GetRefreshToken(ctx, domain.HashSecret(tok))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		must(t, err)
		if got.RotatedAt == nil && got.RevokedAt == nil {
			live = append(live, tok)
		}
	}
	return live
}
