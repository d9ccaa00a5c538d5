package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// newDevice returns a pending device code of clientID named by code, expiring 15 minutes after t0.
func newDevice(clientID, code string, t0 time.Time) *domain.DeviceCode {
	return &domain.DeviceCode{
		CodeHash: domain.HashSecret("device-" + code), UserCodeHash: domain.HashSecret("user-" + code),
		ClientID: clientID, Scope: "openid offline_access", Audience: "https://api.example.com",
		Interval: domain.DeviceInterval, CreatedAt: t0, ExpiresAt: t0.Add(domain.DeviceCodeLifetime),
	}
}

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// testDeviceCodes: creation, lookup by user code, the decisions (once, while pending and live), and
// every outcome of a poll.
func testDeviceCodes(t *testing.T, s store.Store) {
	c := MustClient(t, s, "tv")
	other := MustClient(t, s, "other")
	t0 := now()
	d := newDevice(c.ClientID, "a", t0)
	must(t, s.CreateDeviceCode(ctx, d))
	dup := newDevice(c.ClientID, "b", t0)
	dup.UserCodeHash = d.UserCodeHash
	wantErr(t, s.CreateDeviceCode(ctx, dup), store.ErrConflict)

	got, err := s.GetDeviceCodeByUserCode(ctx, d.UserCodeHash)
	must(t, err)
	eq(t, "client", got.ClientID, c.ClientID)
	eq(t, "status", got.Status, domain.DevicePending)
	eq(t, "scope", got.Scope, "openid offline_access")
	eq(t, "expires", got.ExpiresAt.Equal(d.ExpiresAt), true)
	_, err = s.GetDeviceCodeByUserCode(ctx, domain.HashSecret("nope"))
	wantErr(t, err, store.ErrNotFound)

	// Polls: another client's code is unknown to it and its poll changes nothing.
	_, err = s.PollDeviceCode(ctx, d.CodeHash, other.ClientID, at(t0))
	wantErr(t, err, store.ErrNotFound)
	p, err := s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(time.Second)))
	must(t, err)
	eq(t, "status", p.Status, domain.DevicePending)
	// Too early: slow down, and the interval grows each time.
	p, err = s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(3*time.Second)))
	wantErr(t, err, store.ErrSlowDown)
	eq(t, "interval", p.Interval, domain.DeviceInterval+domain.DeviceSlowDownStep)
	_, err = s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(11*time.Second)))
	wantErr(t, err, store.ErrSlowDown) // 8 s after the last poll, under the new 10 s less the jitter allowed
	p, err = s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(25*time.Second)))
	must(t, err) // 14 s after the last poll: within the 15 s interval's jitter, on time
	eq(t, "interval", p.Interval, domain.DeviceInterval+2*domain.DeviceSlowDownStep)

	// Decisions: approval once, while pending; a later deny changes nothing.
	a := &domain.DeviceCode{UserID: "auth0|u1", SessionID: "sid", AuthTime: t0, GrantedScope: "openid",
		RefreshClaims: domain.RefreshContext{IDTokenClaims: map[string]any{"k": "v"}, ActionScopes: []string{"x"}}}
	must(t, s.ApproveDeviceCode(ctx, d.CodeHash, a, t0.Add(50*time.Second)))
	p, err = s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(30*time.Second)))
	wantErr(t, err, store.ErrSlowDown) // an approved code polled too early is not handed out
	eq(t, "still approved", p.Status, domain.DeviceApproved)
	wantErr(t, s.DenyDeviceCode(ctx, d.CodeHash, t0.Add(51*time.Second)), store.ErrNotFound)
	wantErr(t, s.ApproveDeviceCode(ctx, domain.HashSecret("nope"), a, t0), store.ErrNotFound)
	p, err = s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(60*time.Second)))
	must(t, err)
	eq(t, "status", p.Status, domain.DeviceApproved)
	eq(t, "user", p.UserID, "auth0|u1")
	eq(t, "session", p.SessionID, "sid")
	eq(t, "granted", p.GrantedScope, "openid")
	eq(t, "auth time", p.AuthTime.Equal(t0), true)
	eq(t, "claims", fmt.Sprint(p.RefreshClaims.IDTokenClaims, p.RefreshClaims.ActionScopes), "map[k:v] [x]")
	// Consumed: the next poll finds nothing.
	_, err = s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, at(t0.Add(70*time.Second)))
	wantErr(t, err, store.ErrNotFound)

	// Denied: every poll says so until it expires; an expired code cannot be decided.
	den := newDevice(c.ClientID, "denied", t0)
	must(t, s.CreateDeviceCode(ctx, den))
	must(t, s.DenyDeviceCode(ctx, den.CodeHash, t0))
	for i := range 2 {
		p, err = s.PollDeviceCode(ctx, den.CodeHash, c.ClientID, at(t0.Add(time.Duration(10+10*i)*time.Second)))
		must(t, err)
		eq(t, "status", p.Status, domain.DeviceDenied)
	}
	_, err = s.PollDeviceCode(ctx, den.CodeHash, c.ClientID, at(den.ExpiresAt))
	wantErr(t, err, store.ErrExpired)
	late := newDevice(c.ClientID, "late", t0)
	must(t, s.CreateDeviceCode(ctx, late))
	wantErr(t, s.ApproveDeviceCode(ctx, late.CodeHash, a, late.ExpiresAt), store.ErrNotFound)

	// DeleteExpired removes expired device codes only.
	live := newDevice(c.ClientID, "live", t0.Add(time.Hour))
	must(t, s.CreateDeviceCode(ctx, live))
	_, err = s.DeleteExpired(ctx, t0.Add(30*time.Minute))
	must(t, err)
	_, err = s.GetDeviceCodeByUserCode(ctx, late.UserCodeHash)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetDeviceCodeByUserCode(ctx, live.UserCodeHash)
	must(t, err)
}

// racePollApprovedDevice: n racers, each on its own connections, poll one approved device code at
// once, on every round: exactly one gets it, the others find it consumed.
func racePollApprovedDevice(t *testing.T, open func(t *testing.T) store.Store, n, rounds int) {
	r := openRacers(t, open, n)
	c := MustClient(t, r.setup, "tv")
	for round := range rounds {
		d := newDevice(c.ClientID, fmt.Sprintf("race-%d", round), clock())
		must(t, r.setup.CreateDeviceCode(ctx, d))
		must(t, r.setup.ApproveDeviceCode(ctx, d.CodeHash, &domain.DeviceCode{UserID: "auth0|u", AuthTime: clock()}, clock()))
		errs := raceStores(r.each, func(i int, s store.Store) error {
			got, err := s.PollDeviceCode(ctx, d.CodeHash, c.ClientID, clock)
			if err == nil && got.Status != domain.DeviceApproved {
				return fmt.Errorf("status %s", got.Status)
			}
			return err
		})
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrNotFound):
				t.Fatalf("round %d, racer %d: %v, want nil or ErrNotFound", round, i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d of %d racers got the approved device code, want exactly 1", round, wins, n)
		}
	}
}

// testRevokedOpaqueTokens: a revocation is remembered, a repeat is harmless, and DeleteExpired
// forgets it once the token has expired.
func testRevokedOpaqueTokens(t *testing.T, s store.Store) {
	t0 := now()
	h := domain.HashSecret("opaque-token")
	got, err := s.OpaqueTokenRevoked(ctx, h)
	must(t, err)
	eq(t, "revoked before", got, false)
	must(t, s.RevokeOpaqueToken(ctx, h, t0.Add(time.Hour)))
	must(t, s.RevokeOpaqueToken(ctx, h, t0.Add(time.Hour)))
	got, err = s.OpaqueTokenRevoked(ctx, h)
	must(t, err)
	eq(t, "revoked", got, true)
	got, err = s.OpaqueTokenRevoked(ctx, domain.HashSecret("other"))
	must(t, err)
	eq(t, "another token revoked", got, false)
	_, err = s.DeleteExpired(ctx, t0.Add(30*time.Minute))
	must(t, err)
	got, err = s.OpaqueTokenRevoked(ctx, h)
	must(t, err)
	eq(t, "revoked before expiry", got, true)
	_, err = s.DeleteExpired(ctx, t0.Add(2*time.Hour))
	must(t, err)
	got, err = s.OpaqueTokenRevoked(ctx, h)
	must(t, err)
	eq(t, "forgotten after expiry", got, false)
}
