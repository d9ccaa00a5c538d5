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

func testWebAuthnCredentials(t *testing.T, s store.Store) {
	u := MustUser(t, s, "webauthn@example.com")
	other := MustUser(t, s, "webauthn-other@example.com")
	created := now().Add(-time.Hour)
	key := &domain.WebAuthnCredential{ID: "webauthn-roaming|k1", UserID: u.UserID, Type: domain.FactorWebAuthnRoaming,
		CredentialID: []byte{1, 2, 3, 4}, Name: "Security key", SignCount: 3, Data: []byte(`{"id":"AQIDBA"}`),
		UserAgent: "Chrome", CreatedAt: created}
	must(t, s.CreateWebAuthnCredential(ctx, key))
	pk := &domain.WebAuthnCredential{ID: "passkey|p1", UserID: u.UserID, Type: domain.MethodPasskey,
		CredentialID: []byte{9, 9}, Name: "Passkey", Data: []byte(`{}`), CreatedAt: created.Add(time.Minute)}
	must(t, s.CreateWebAuthnCredential(ctx, pk))

	// A credential id registers once, whoever registers it again.
	dup := &domain.WebAuthnCredential{ID: "webauthn-roaming|k2", UserID: other.UserID, Type: domain.FactorWebAuthnRoaming,
		CredentialID: []byte{1, 2, 3, 4}, Name: "Copy", Data: []byte(`{}`)}
	wantErr(t, s.CreateWebAuthnCredential(ctx, dup), store.ErrConflict)

	list, err := s.ListWebAuthnCredentials(ctx, u.UserID)
	must(t, err)
	if len(list) != 2 || list[0].ID != key.ID || list[1].ID != pk.ID {
		t.Fatalf("list = %+v, want the key then the passkey", list)
	}
	got := list[0]
	if got.Type != key.Type || !bytes.Equal(got.CredentialID, key.CredentialID) || got.Name != "Security key" ||
		got.SignCount != 3 || string(got.Data) != string(key.Data) || got.UserAgent != "Chrome" ||
		!got.CreatedAt.Equal(created) || got.LastAuthAt != nil {
		t.Fatalf("stored credential = %+v", got)
	}
	if l, _ := s.ListWebAuthnCredentials(ctx, other.UserID); len(l) != 0 {
		t.Fatalf("other user's list = %+v", l)
	}
	_, err = s.GetWebAuthnCredential(ctx, other.UserID, key.ID)
	wantErr(t, err, store.ErrNotFound)

	// The counter only moves forward: equal or lower is refused and changes nothing.
	at := now()
	for _, c := range []struct {
		count uint32
		ok    bool
	}{{3, false}, {2, false}, {0, false}, {4, true}, {4, false}, {10, true}} {
		ok, err := s.UseWebAuthnCredential(ctx, key.ID, c.count, []byte(`{"n":1}`), at)
		must(t, err)
		if ok != c.ok {
			t.Fatalf("use with count %d = %v, want %v", c.count, ok, c.ok)
		}
	}
	got, err = s.GetWebAuthnCredential(ctx, u.UserID, key.ID)
	must(t, err)
	if got.SignCount != 10 || string(got.Data) != `{"n":1}` || got.LastAuthAt == nil || !got.LastAuthAt.Equal(at) {
		t.Fatalf("after use: %+v", got)
	}
	// An authenticator that keeps no counter (always zero) is accepted each time.
	for range 2 {
		if ok, err := s.UseWebAuthnCredential(ctx, pk.ID, 0, pk.Data, at); err != nil || !ok {
			t.Fatalf("zero counter use = %v, %v", ok, err)
		}
	}

	wantErr(t, s.DeleteWebAuthnCredential(ctx, other.UserID, key.ID), store.ErrNotFound)
	must(t, s.DeleteWebAuthnCredential(ctx, u.UserID, key.ID))
	wantErr(t, s.DeleteWebAuthnCredential(ctx, u.UserID, key.ID), store.ErrNotFound)
	// The credential id is free again once deleted.
	dup.UserID = u.UserID
	must(t, s.CreateWebAuthnCredential(ctx, dup))
	must(t, s.DeleteUserWebAuthnCredentials(ctx, u.UserID))
	if l, _ := s.ListWebAuthnCredentials(ctx, u.UserID); len(l) != 0 {
		t.Fatalf("after delete all: %+v", l)
	}
	// Deleting the user deletes their credentials.
	must(t, s.CreateWebAuthnCredential(ctx, key))
	must(t, s.DeleteUser(ctx, u.UserID))
	must(t, s.CreateWebAuthnCredential(ctx, &domain.WebAuthnCredential{ID: "webauthn-roaming|k3", UserID: other.UserID,
		Type: domain.FactorWebAuthnRoaming, CredentialID: key.CredentialID, Data: []byte(`{}`)}))
}

func testWebAuthnChallenges(t *testing.T, s store.Store) {
	n := now()
	must(t, s.PutWebAuthnChallenge(ctx, &domain.WebAuthnChallenge{Binding: "tx:a", Data: []byte("first"), ExpiresAt: n.Add(time.Minute)}))
	// A new ceremony for the same binding replaces the first.
	must(t, s.PutWebAuthnChallenge(ctx, &domain.WebAuthnChallenge{Binding: "tx:a", Data: []byte("second"), ExpiresAt: n.Add(time.Minute)}))
	must(t, s.PutWebAuthnChallenge(ctx, &domain.WebAuthnChallenge{Binding: "tx:b", Data: []byte("other"), ExpiresAt: n.Add(time.Minute)}))
	c, err := s.TakeWebAuthnChallenge(ctx, "tx:a", n)
	must(t, err)
	if string(c.Data) != "second" || !c.ExpiresAt.Equal(n.Add(time.Minute)) {
		t.Fatalf("taken = %+v", c)
	}
	// Taken once.
	_, err = s.TakeWebAuthnChallenge(ctx, "tx:a", n)
	wantErr(t, err, store.ErrNotFound)
	// Expired: not given, and swept.
	_, err = s.TakeWebAuthnChallenge(ctx, "tx:b", n.Add(time.Minute))
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.DeleteExpired(ctx, n.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = s.TakeWebAuthnChallenge(ctx, "tx:b", n)
	wantErr(t, err, store.ErrNotFound)

	// Of concurrent takes exactly one gets the challenge.
	for round := range 5 {
		must(t, s.PutWebAuthnChallenge(ctx, &domain.WebAuthnChallenge{Binding: "race", Data: []byte{byte(round)}, ExpiresAt: n.Add(time.Minute)}))
		var got atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := s.TakeWebAuthnChallenge(ctx, "race", n); err == nil {
					got.Add(1)
				} else if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("take: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if got.Load() != 1 {
			t.Fatalf("round %d: %d takes got the challenge, want 1", round, got.Load())
		}
	}
}
