package storetest

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func newTicket(t testing.TB, s store.Store, userID, kind string, expires time.Time) (string, *domain.Ticket) {
	t.Helper()
	secret, hash := domain.NewTicket()
	tk := &domain.Ticket{Hash: hash, Kind: kind, UserID: userID, ExpiresAt: expires, ClientID: "c1",
		ResultURL: "https://app.example.com/done", MarkEmailVerified: true}
	must(t, s.CreateTicket(ctx, tk))
	return secret, tk
}

func testTickets(t *testing.T, s store.Store) {
	u := MustUser(t, s, "ticket@example.com")
	now := time.Now().UTC().Truncate(time.Second)
	secret, tk := newTicket(t, s, u.UserID, domain.TicketPasswordReset, now.Add(time.Hour))
	if bytes.Contains(tk.Hash, []byte(secret)) || len(tk.Hash) != 32 {
		t.Fatalf("ticket hash %x is not a SHA-256 of the secret", tk.Hash)
	}

	got, err := s.GetTicket(ctx, domain.HashSecret(secret))
	must(t, err)
	if got.UserID != u.UserID || got.Kind != domain.TicketPasswordReset || !got.ExpiresAt.Equal(now.Add(time.Hour)) ||
		got.UsedAt != nil || got.ResultURL != tk.ResultURL || !got.MarkEmailVerified || got.ClientID != "c1" {
		t.Fatalf("ticket = %+v", got)
	}
	_, err = s.GetTicket(ctx, domain.HashSecret("nope"))
	wantErr(t, err, store.ErrNotFound)

	// Another kind does not redeem it, nor spend it.
	_, err = s.RedeemTicket(ctx, tk.Hash, domain.TicketEmailVerification, now)
	wantErr(t, err, store.ErrNotFound)
	// Expired at its expiry instant.
	_, err = s.RedeemTicket(ctx, tk.Hash, domain.TicketPasswordReset, now.Add(time.Hour))
	wantErr(t, err, store.ErrNotFound)

	red, err := s.RedeemTicket(ctx, tk.Hash, domain.TicketPasswordReset, now)
	must(t, err)
	if red.UsedAt == nil || !red.UsedAt.Equal(now) || red.UserID != u.UserID {
		t.Fatalf("redeemed = %+v", red)
	}
	_, err = s.RedeemTicket(ctx, tk.Hash, domain.TicketPasswordReset, now)
	wantErr(t, err, store.ErrAlreadyUsed)

	// SpendUserTickets ends the user's other tickets of that kind, not other kinds.
	_, a := newTicket(t, s, u.UserID, domain.TicketPasswordReset, now.Add(time.Hour))
	_, b := newTicket(t, s, u.UserID, domain.TicketEmailVerification, now.Add(time.Hour))
	newTicket(t, s, u.UserID, domain.TicketPasswordReset, now.Add(-time.Second)) // expired
	if n, err := s.CountLiveTickets(ctx, u.UserID, domain.TicketPasswordReset, now); err != nil || n != 1 {
		t.Fatalf("live reset tickets = %d, %v; want 1 (one used, one expired, one of another kind)", n, err)
	}
	must(t, s.SpendUserTickets(ctx, u.UserID, domain.TicketPasswordReset, now))
	_, err = s.RedeemTicket(ctx, a.Hash, domain.TicketPasswordReset, now)
	wantErr(t, err, store.ErrAlreadyUsed)
	_, err = s.RedeemTicket(ctx, b.Hash, domain.TicketEmailVerification, now)
	must(t, err)
	if n, err := s.CountLiveTickets(ctx, u.UserID, domain.TicketPasswordReset, now); err != nil || n != 0 {
		t.Fatalf("live reset tickets after spending = %d, %v", n, err)
	}

	// An mfa_token keeps what its exchange asked for, and an oob_code what binds it.
	mfaSecret, mfaHash := domain.NewTicket()
	must(t, s.CreateTicket(ctx, &domain.Ticket{Hash: mfaHash, Kind: domain.TicketMFAToken, UserID: u.UserID, ExpiresAt: now.Add(time.Hour),
		ClientID: "c1", Audience: "https://api.example", Scope: "openid offline_access", Connection: "Username-Password-Authentication",
		Binding: []byte{1, 2}, AuthenticatorID: "email|e1", CodeHash: []byte{3, 4}}))
	mt, err := s.GetTicket(ctx, domain.HashSecret(mfaSecret))
	must(t, err)
	if mt.Kind != domain.TicketMFAToken || mt.Audience != "https://api.example" || mt.Scope != "openid offline_access" ||
		mt.Connection != "Username-Password-Authentication" || !bytes.Equal(mt.Binding, []byte{1, 2}) ||
		mt.AuthenticatorID != "email|e1" || !bytes.Equal(mt.CodeHash, []byte{3, 4}) {
		t.Fatalf("mfa ticket = %+v", mt)
	}

	// A ticket created in a transaction that rolls back does not exist.
	_, hash := domain.NewTicket()
	boom := errors.New("boom")
	err = s.WithTx(ctx, func(tx store.Store) error {
		must(t, tx.CreateTicket(ctx, &domain.Ticket{Hash: hash, Kind: domain.TicketPasswordReset, UserID: u.UserID, ExpiresAt: now.Add(time.Hour)}))
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetTicket(ctx, hash)
	wantErr(t, err, store.ErrNotFound)

	// Expired tickets are collected.
	_, old := newTicket(t, s, u.UserID, domain.TicketPasswordReset, now.Add(-time.Minute))
	_, err = s.DeleteExpired(ctx, now)
	must(t, err)
	_, err = s.GetTicket(ctx, old.Hash)
	wantErr(t, err, store.ErrNotFound)
}

// testRaceRedeemTicket: of eight concurrent redemptions of one ticket exactly one succeeds.
func testRaceRedeemTicket(t *testing.T, s store.Store) {
	u := MustUser(t, s, "ticket-race@example.com")
	now := time.Now().UTC()
	_, tk := newTicket(t, s, u.UserID, domain.TicketPasswordReset, now.Add(time.Hour))
	var ok, used atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.RedeemTicket(ctx, tk.Hash, domain.TicketPasswordReset, now)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrAlreadyUsed):
				used.Add(1)
			default:
				t.Errorf("redeem: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || used.Load() != 7 {
		t.Fatalf("%d redemptions succeeded and %d were refused as used; want 1 and 7", ok.Load(), used.Load())
	}
}
