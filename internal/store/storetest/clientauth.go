package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testClientCredentials: create, list (oldest first), get and delete, each only under its own
// client; deleting the client deletes its credentials.
func testClientCredentials(t *testing.T, s store.Store) {
	c := MustClient(t, s, "signer")
	other := MustClient(t, s, "other")
	t0 := now()
	exp := t0.Add(time.Hour)
	a := &domain.ClientCredential{ID: "cred_a", ClientID: c.ClientID, Name: "first", KID: "kid-aaaaaaaaaa", Alg: "RS256",
		CredentialType: domain.CredentialTypePublicKey, PEM: "-----BEGIN PUBLIC KEY-----\n…", CreatedAt: t0, UpdatedAt: t0, ExpiresAt: &exp}
	b := &domain.ClientCredential{ID: "cred_b", ClientID: c.ClientID, KID: "kid-bbbbbbbbbb", Alg: "PS256",
		CredentialType: domain.CredentialTypePublicKey, PEM: "pem-b", CreatedAt: t0.Add(time.Second)}
	must(t, s.CreateClientCredential(ctx, a))
	must(t, s.CreateClientCredential(ctx, b))
	wantErr(t, s.CreateClientCredential(ctx, &domain.ClientCredential{ID: "cred_a", ClientID: other.ClientID, PEM: "x"}), store.ErrConflict)

	list, err := s.ListClientCredentials(ctx, c.ClientID)
	must(t, err)
	if len(list) != 2 || list[0].ID != "cred_a" || list[1].ID != "cred_b" {
		t.Fatalf("list = %+v, want cred_a, cred_b", list)
	}
	got, err := s.GetClientCredential(ctx, c.ClientID, "cred_a")
	must(t, err)
	eq(t, "client", got.ClientID, c.ClientID)
	eq(t, "kid", got.KID, "kid-aaaaaaaaaa")
	eq(t, "pem", got.PEM, a.PEM)
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Errorf("expires_at = %v, want %v", got.ExpiresAt, exp)
	}
	_, err = s.GetClientCredential(ctx, other.ClientID, "cred_a")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteClientCredential(ctx, other.ClientID, "cred_a"), store.ErrNotFound)
	none, err := s.ListClientCredentials(ctx, other.ClientID)
	must(t, err)
	eq(t, "other's credentials", len(none), 0)

	later := exp.Add(time.Hour)
	got.ExpiresAt = &later
	must(t, s.UpdateClientCredential(ctx, got))
	got, err = s.GetClientCredential(ctx, c.ClientID, "cred_a")
	must(t, err)
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(later) || got.KID != "kid-aaaaaaaaaa" {
		t.Errorf("after update: %+v", got)
	}
	wantErr(t, s.UpdateClientCredential(ctx, &domain.ClientCredential{ID: "cred_a", ClientID: other.ClientID}), store.ErrNotFound)
	must(t, s.DeleteClientCredential(ctx, c.ClientID, "cred_a"))
	wantErr(t, s.DeleteClientCredential(ctx, c.ClientID, "cred_a"), store.ErrNotFound)
	must(t, s.DeleteClient(ctx, c.ClientID))
	_, err = s.GetClientCredential(ctx, c.ClientID, "cred_b")
	wantErr(t, err, store.ErrNotFound)
}

// testUseOnce: a key is accepted once until it expires, then once again; DeleteExpired removes it.
func testUseOnce(t *testing.T, s store.Store) {
	t0 := now()
	key := domain.HashSecret("assertion|client|jti-1")
	must(t, s.UseOnce(ctx, key, t0.Add(time.Minute), t0))
	wantErr(t, s.UseOnce(ctx, key, t0.Add(time.Minute), t0.Add(30*time.Second)), store.ErrAlreadyUsed)
	must(t, s.UseOnce(ctx, domain.HashSecret("assertion|client|jti-2"), t0.Add(time.Minute), t0))
	// Past its expiry the key could no longer be accepted anyway; a new use starts a new record.
	must(t, s.UseOnce(ctx, key, t0.Add(3*time.Minute), t0.Add(2*time.Minute)))
	wantErr(t, s.UseOnce(ctx, key, t0.Add(3*time.Minute), t0.Add(2*time.Minute)), store.ErrAlreadyUsed)
	n, err := s.DeleteExpired(ctx, t0.Add(10*time.Minute))
	must(t, err)
	if n < 2 {
		t.Errorf("DeleteExpired removed %d rows, want at least the 2 used jtis", n)
	}
}

// testRaceUseOnce: of 20 concurrent first uses of one key exactly one succeeds.
func testRaceUseOnce(t *testing.T, s store.Store) {
	for round := 0; round < 3; round++ {
		t0 := now()
		key := domain.HashSecret("dpop|raced|" + string(rune('a'+round)))
		errs := race(func(int) error { return s.UseOnce(ctx, key, t0.Add(time.Minute), t0) })
		if wins := tally(t, errs, store.ErrAlreadyUsed); wins != 1 {
			t.Fatalf("round %d: %d racers used the key, want 1", round, wins)
		}
	}
}

// testPushedRequests: a pushed request is consumed once, only by its client, only before it
// expires.
func testPushedRequests(t *testing.T, s store.Store) {
	c := MustClient(t, s, "pusher")
	other := MustClient(t, s, "other")
	t0 := now()
	uri, hash := domain.NewRequestURI()
	if !domain.IsPushedRequestURI(uri) {
		t.Fatalf("request_uri %q lacks the urn prefix", uri)
	}
	p := &domain.PushedRequest{URIHash: hash, ClientID: c.ClientID, Params: map[string]string{"scope": "openid", "state": "s1"},
		CreatedAt: t0, ExpiresAt: t0.Add(domain.PushedRequestLifetime)}
	must(t, s.CreatePushedRequest(ctx, p))
	_, err := s.ConsumePushedRequest(ctx, hash, other.ClientID, t0)
	wantErr(t, err, store.ErrNotFound)
	got, err := s.ConsumePushedRequest(ctx, hash, c.ClientID, t0.Add(time.Second))
	must(t, err)
	eq(t, "client", got.ClientID, c.ClientID)
	eq(t, "state", got.Params["state"], "s1")
	_, err = s.ConsumePushedRequest(ctx, hash, c.ClientID, t0.Add(2*time.Second))
	wantErr(t, err, store.ErrNotFound)

	_, hash2 := domain.NewRequestURI()
	must(t, s.CreatePushedRequest(ctx, &domain.PushedRequest{URIHash: hash2, ClientID: c.ClientID, Params: map[string]string{},
		ExpiresAt: t0.Add(domain.PushedRequestLifetime)}))
	_, err = s.ConsumePushedRequest(ctx, hash2, c.ClientID, t0.Add(domain.PushedRequestLifetime))
	wantErr(t, err, store.ErrNotFound)

	_, hash3 := domain.NewRequestURI()
	must(t, s.CreatePushedRequest(ctx, &domain.PushedRequest{URIHash: hash3, ClientID: c.ClientID, Params: map[string]string{},
		ExpiresAt: t0.Add(domain.PushedRequestLifetime)}))
	errs := race(func(int) error {
		_, err := s.ConsumePushedRequest(ctx, hash3, c.ClientID, t0)
		return err
	})
	if wins := tally(t, errs, store.ErrNotFound); wins != 1 {
		t.Fatalf("%d racers consumed the pushed request, want 1", wins)
	}
}
