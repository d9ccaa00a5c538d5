package storetest

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func testMFA(t *testing.T, s store.Store) {
	u := MustUser(t, s, "mfa@example.com")
	other := MustUser(t, s, "mfa-other@example.com")
	totp := &domain.MFAAuthenticator{ID: "totp|a1", UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{1, 2, 3}}
	must(t, s.CreateMFAAuthenticator(ctx, totp))
	rc := &domain.MFAAuthenticator{ID: "recovery-code|r1", UserID: u.UserID, Type: domain.MethodRecoveryCode, Secret: []byte{9}, Confirmed: true,
		CreatedAt: time.Now().Add(time.Second)}
	must(t, s.CreateMFAAuthenticator(ctx, rc))

	list, err := s.ListMFAAuthenticators(ctx, u.UserID)
	must(t, err)
	if len(list) != 2 || list[0].ID != totp.ID || list[0].Confirmed || string(list[0].Secret) != "\x01\x02\x03" || list[1].ID != rc.ID {
		t.Fatalf("list = %+v", list)
	}
	_, err = s.GetMFAAuthenticator(ctx, other.UserID, totp.ID)
	wantErr(t, err, store.ErrNotFound) // another user's authenticator is not found
	byID, err := s.GetMFAAuthenticatorByID(ctx, totp.ID)
	must(t, err)
	if byID.UserID != u.UserID || byID.Type != domain.MethodTOTP {
		t.Fatalf("by id = %+v", byID)
	}
	_, err = s.GetMFAAuthenticatorByID(ctx, "totp|nope")
	wantErr(t, err, store.ErrNotFound)

	// A step is accepted once, and never one earlier than the last accepted; the first confirms.
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []struct {
		step int64
		want bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		ok, err := s.UseTOTPStep(ctx, totp.ID, c.step, now)
		must(t, err)
		if ok != c.want {
			t.Fatalf("UseTOTPStep(%d) = %v, want %v", c.step, ok, c.want)
		}
	}
	got, err := s.GetMFAAuthenticator(ctx, u.UserID, totp.ID)
	must(t, err)
	if !got.Confirmed || got.LastStep != 101 || got.LastAuthAt == nil || !got.LastAuthAt.Equal(now) {
		t.Fatalf("after use: %+v", got)
	}

	// Unconfirmed enrollments are dropped, confirmed ones kept.
	must(t, s.CreateMFAAuthenticator(ctx, &domain.MFAAuthenticator{ID: "totp|a2", UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{4}}))
	must(t, s.DeleteUnconfirmedMFAAuthenticators(ctx, u.UserID, domain.MethodTOTP))
	list, _ = s.ListMFAAuthenticators(ctx, u.UserID)
	if len(list) != 2 {
		t.Fatalf("after dropping unconfirmed: %+v", list)
	}

	// A recovery code is used once; by its owner only.
	ok, err := s.UseRecoveryCode(ctx, other.UserID, rc.ID)
	must(t, err)
	if ok {
		t.Fatal("another user used the recovery code")
	}
	ok, _ = s.UseRecoveryCode(ctx, u.UserID, rc.ID)
	ok2, _ := s.UseRecoveryCode(ctx, u.UserID, rc.ID)
	if !ok || ok2 {
		t.Fatalf("recovery code uses = %v, %v; want true, false", ok, ok2)
	}

	// An email authenticator has no secret; answering it confirms it and records when, for its
	// owner only, and a deleted one is not found.
	email := &domain.MFAAuthenticator{ID: "email|e1", UserID: u.UserID, Type: domain.MethodEmail, Secret: []byte{}}
	must(t, s.CreateMFAAuthenticator(ctx, email))
	wantErr(t, s.MarkMFAAuthenticatorUsed(ctx, other.UserID, email.ID, now), store.ErrNotFound)
	must(t, s.MarkMFAAuthenticatorUsed(ctx, u.UserID, email.ID, now.Add(time.Minute)))
	got, err = s.GetMFAAuthenticator(ctx, u.UserID, email.ID)
	must(t, err)
	if !got.Confirmed || len(got.Secret) != 0 || got.LastAuthAt == nil || !got.LastAuthAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("email authenticator after use: %+v", got)
	}
	must(t, s.DeleteMFAAuthenticator(ctx, u.UserID, email.ID))
	wantErr(t, s.MarkMFAAuthenticatorUsed(ctx, u.UserID, email.ID, now), store.ErrNotFound)

	wantErr(t, s.DeleteMFAAuthenticator(ctx, other.UserID, totp.ID), store.ErrNotFound)
	must(t, s.DeleteMFAAuthenticator(ctx, u.UserID, totp.ID))
	must(t, s.CreateMFAAuthenticator(ctx, &domain.MFAAuthenticator{ID: "totp|a3", UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{4}}))
	must(t, s.DeleteUserMFAAuthenticators(ctx, u.UserID))
	if list, _ = s.ListMFAAuthenticators(ctx, u.UserID); len(list) != 0 {
		t.Fatalf("after delete all: %+v", list)
	}

	// Sessions that passed a factor.
	sess := &domain.Session{ID: "sid-mfa", TokenHash: []byte("sid-mfa"), UserID: u.UserID, ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(time.Hour)}
	must(t, s.CreateSession(ctx, sess))
	_, err = s.GetSessionMFA(ctx, sess.ID)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.SetSessionMFA(ctx, &domain.SessionMFA{SessionID: sess.ID, Methods: []string{"otp", "mfa"}, At: now}))
	must(t, s.SetSessionMFA(ctx, &domain.SessionMFA{SessionID: sess.ID, Methods: []string{"mfa"}, At: now.Add(time.Minute)}))
	m, err := s.GetSessionMFA(ctx, sess.ID)
	must(t, err)
	if !slices.Equal(m.Methods, []string{"mfa"}) || !m.At.Equal(now.Add(time.Minute)) {
		t.Fatalf("session mfa = %+v", m)
	}
	must(t, s.DeleteSession(ctx, sess.ID))
	_, err = s.GetSessionMFA(ctx, sess.ID)
	wantErr(t, err, store.ErrNotFound)

	// Guardian settings: defaults, then what was saved.
	g, err := s.GetGuardianSettings(ctx)
	must(t, err)
	if g.AlwaysMFA() || !g.Enabled[domain.FactorOTP] {
		t.Fatalf("default settings = %+v", g)
	}
	must(t, s.PutGuardianSettings(ctx, domain.GuardianSettings{Policies: []string{domain.PolicyAllApplications}, Enabled: map[string]bool{domain.FactorOTP: true}}))
	g, _ = s.GetGuardianSettings(ctx)
	if !g.AlwaysMFA() || g.Enabled[domain.FactorRecoveryCode] {
		t.Fatalf("saved settings = %+v", g)
	}
}

func testRememberedBrowsers(t *testing.T, s store.Store) {
	u := MustUser(t, s, "rb@example.com")
	other := MustUser(t, s, "rb-other@example.com")
	now := time.Now().UTC().Truncate(time.Second)
	h := domain.HashSecret("cookie")
	must(t, s.RememberBrowser(ctx, h, u.UserID, now.Add(time.Hour)))
	for _, c := range []struct {
		user string
		at   time.Time
		want bool
	}{{u.UserID, now, true}, {other.UserID, now, false}, {u.UserID, now.Add(time.Hour), false}} {
		got, err := s.BrowserRemembered(ctx, h, c.user, c.at)
		must(t, err)
		if got != c.want {
			t.Fatalf("BrowserRemembered(%s, %v) = %v", c.user, c.at, got)
		}
	}
	// The sweeper deletes an expired one.
	old := domain.HashSecret("old cookie")
	must(t, s.RememberBrowser(ctx, old, u.UserID, now.Add(-time.Minute)))
	if _, err := s.DeleteExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.BrowserRemembered(ctx, old, u.UserID, now.Add(-time.Hour)); got {
		t.Fatal("an expired remembered browser survived the sweeper")
	}
	must(t, s.ForgetRememberedBrowsers(ctx, u.UserID))
	if got, _ := s.BrowserRemembered(ctx, h, u.UserID, now); got {
		t.Fatal("a forgotten browser is remembered")
	}
}

// testRaceUseTOTPStep submits one code from several goroutines at once: exactly one is accepted.
func testRaceUseTOTPStep(t *testing.T, s store.Store) {
	u := MustUser(t, s, "mfa-race@example.com")
	for round := range 5 {
		a := &domain.MFAAuthenticator{ID: "totp|race" + string(rune('a'+round)), UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{1}}
		must(t, s.CreateMFAAuthenticator(ctx, a))
		var accepted atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := s.UseTOTPStep(ctx, a.ID, 5000, time.Now())
				if err != nil {
					t.Errorf("use: %v", err)
				}
				if ok {
					accepted.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if accepted.Load() != 1 {
			t.Fatalf("round %d: %d uses of one code accepted, want 1", round, accepted.Load())
		}
	}
}
