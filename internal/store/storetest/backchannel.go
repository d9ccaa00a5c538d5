package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testBackchannelOutbox: queued entries are claimed when due, by one owner at a time; only the
// lease holder settles them; a retry comes back at its time; settled entries go after a week.
func testBackchannelOutbox(t *testing.T, s store.Store) {
	t0 := now()
	a := &domain.BackchannelLogout{ClientID: "c1", URL: "https://app.example/bcl", UserID: "auth0|u1", SessionID: "sid1",
		Initiator: domain.LogoutInitiatorRP, CreatedAt: t0}
	b := &domain.BackchannelLogout{ClientID: "c2", URL: "https://other.example/bcl", UserID: "auth0|u1", SessionID: "sid1",
		Initiator: domain.LogoutInitiatorRP, CreatedAt: t0, NextAttemptAt: t0.Add(time.Minute)}
	must(t, s.EnqueueBackchannelLogout(ctx, a))
	must(t, s.EnqueueBackchannelLogout(ctx, b))

	got, err := s.ClaimBackchannelLogouts(ctx, "node1", t0, t0.Add(30*time.Second), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != a.ID || got[0].URL != a.URL || got[0].SessionID != "sid1" || got[0].Attempts != 1 {
		t.Fatalf("claimed %+v, want only the due entry", got)
	}
	// Leased: nobody else gets it.
	again, err := s.ClaimBackchannelLogouts(ctx, "node2", t0.Add(time.Second), t0.Add(time.Minute), 10)
	must(t, err)
	eq(t, "claimed while leased", len(again), 0)
	wantErr(t, s.MarkBackchannelSent(ctx, a.ID, "node2", t0), store.ErrNotFound)
	must(t, s.RetryBackchannel(ctx, a.ID, "node1", t0.Add(2*time.Minute), "503 Service Unavailable"))

	// At t0+90s only b is due; at t0+2m a comes back with its second attempt.
	got, err = s.ClaimBackchannelLogouts(ctx, "node2", t0.Add(90*time.Second), t0.Add(2*time.Minute), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("claimed %+v, want b", got)
	}
	must(t, s.FailBackchannel(ctx, b.ID, "node2", t0.Add(90*time.Second), "gave up"))
	got, err = s.ClaimBackchannelLogouts(ctx, "node1", t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != a.ID || got[0].Attempts != 2 || got[0].LastError != "503 Service Unavailable" {
		t.Fatalf("claimed %+v, want a's second attempt", got)
	}
	must(t, s.MarkBackchannelSent(ctx, a.ID, "node1", t0.Add(2*time.Minute)))
	done, err := s.GetBackchannelLogout(ctx, a.ID)
	must(t, err)
	if done.SentAt == nil || done.FailedAt != nil {
		t.Errorf("sent entry: %+v", done)
	}
	if got, _ := s.ClaimBackchannelLogouts(ctx, "node1", t0.Add(time.Hour), t0.Add(2*time.Hour), 10); len(got) != 0 {
		t.Errorf("settled entries claimed again: %+v", got)
	}
	_, err = s.DeleteExpired(ctx, t0.Add(8*24*time.Hour))
	must(t, err)
	_, err = s.GetBackchannelLogout(ctx, a.ID)
	wantErr(t, err, store.ErrNotFound)
}

// testRaceClaimBackchannel: 20 claimers at once share 20 entries without overlap.
func testRaceClaimBackchannel(t *testing.T, s store.Store) {
	t0 := now()
	for i := 0; i < racers; i++ {
		must(t, s.EnqueueBackchannelLogout(ctx, &domain.BackchannelLogout{ClientID: "c", URL: "https://app.example/bcl",
			UserID: "u", Initiator: domain.LogoutInitiatorRP, CreatedAt: t0}))
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	errs := race(func(i int) error {
		got, err := s.ClaimBackchannelLogouts(ctx, "owner"+string(rune('a'+i)), t0, t0.Add(time.Minute), 3)
		mu.Lock()
		for _, l := range got {
			seen[l.ID]++
		}
		mu.Unlock()
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", i, err)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}
