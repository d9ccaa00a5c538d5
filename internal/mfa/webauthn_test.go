package mfa_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestWebAuthnRelyingParty: the relying party is the issuer's host and origin; options carry the
// challenge and the requirements of each kind; a ceremony's challenge is taken once, whatever
// its answer, and a wrong answer writes nothing.
func TestWebAuthnRelyingParty(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	w, err := mfa.NewWebAuthn(st, "https://login.example.com:8443/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.RPID() != "login.example.com" {
		t.Fatalf("RP ID %q", w.RPID())
	}
	for _, bad := range []string{"not a url", "https://127.0.0.1:8443/"} {
		if _, err := mfa.NewWebAuthn(st, bad, "", nil); err == nil {
			t.Fatalf("issuer %q accepted: WebAuthn needs a domain name", bad)
		}
	}
	u := storetest.MustUser(t, st, "keys@example.com")

	raw, err := w.BeginRegistration(ctx, "tx:one", domain.MethodPasskey, mfa.AccountOf(u))
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		PublicKey struct {
			Challenge string                    `json:"challenge"`
			RP        struct{ ID string }       `json:"rp"`
			User      struct{ ID, Name string } `json:"user"`
			Selection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &opts); err != nil {
		t.Fatal(err)
	}
	pk := opts.PublicKey
	if pk.Challenge == "" || pk.RP.ID != "login.example.com" || pk.User.Name != "keys@example.com" ||
		pk.Selection.ResidentKey != "required" || pk.Selection.UserVerification != "required" {
		t.Fatalf("passkey creation options %s", raw)
	}

	// A garbage answer is refused and spends the challenge; nothing is stored.
	_, err = w.FinishRegistration(ctx, "tx:one", domain.MethodPasskey, u.UserID, []byte(`{"id":"x"}`), "", "", nil)
	if !errors.Is(err, mfa.ErrCeremonyFailed) {
		t.Fatalf("garbage answer: %v", err)
	}
	_, err = w.FinishRegistration(ctx, "tx:one", domain.MethodPasskey, u.UserID, []byte(`{"id":"x"}`), "", "", nil)
	if !errors.Is(err, mfa.ErrChallengeGone) {
		t.Fatalf("second answer to one challenge: %v", err)
	}
	// An answer for another binding, or of another kind, finds no challenge of its own.
	if _, err := w.BeginRegistration(ctx, "tx:two", domain.FactorWebAuthnRoaming, mfa.AccountOf(u)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.FinishRegistration(ctx, "tx:three", domain.FactorWebAuthnRoaming, u.UserID, []byte(`{}`), "", "", nil); !errors.Is(err, mfa.ErrChallengeGone) {
		t.Fatalf("answer for another binding: %v", err)
	}
	if _, err := w.FinishRegistration(ctx, "tx:two", domain.MethodPasskey, u.UserID, []byte(`{}`), "", "", nil); !errors.Is(err, mfa.ErrChallengeGone) {
		t.Fatalf("answer of another kind: %v", err)
	}
	if list, err := st.ListWebAuthnCredentials(ctx, u.UserID); err != nil || len(list) != 0 {
		t.Fatalf("credentials after refusals: %+v, %v", list, err)
	}

	// A second factor's assertion is only offered to a user with a key.
	if _, err := w.BeginLogin(ctx, "tx:four", u.UserID, []string{domain.FactorWebAuthnRoaming}); err == nil {
		t.Fatal("an assertion was begun for a user without a key")
	}
	raw, err = w.BeginLogin(ctx, "tx:five", "", []string{domain.MethodPasskey})
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		PublicKey struct {
			RPID             string `json:"rpId"`
			UserVerification string `json:"userVerification"`
			Allow            []any  `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	if req.PublicKey.RPID != "login.example.com" || req.PublicKey.UserVerification != "required" || len(req.PublicKey.Allow) != 0 {
		t.Fatalf("passkey request options %s", raw)
	}
	if _, err := w.FinishLogin(ctx, "tx:five", "", []byte(`not json`)); !errors.Is(err, mfa.ErrCeremonyFailed) {
		t.Fatalf("garbage assertion: %v", err)
	}
	if _, err := w.FinishLogin(ctx, "tx:five", "", []byte(`not json`)); !errors.Is(err, mfa.ErrChallengeGone) {
		t.Fatalf("second assertion to one challenge: %v", err)
	}
}
