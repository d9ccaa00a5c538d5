package keys_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/keys/keystest"
)

var master = bytes.Repeat([]byte{7}, 32)

func MustManager(tb testing.TB, ks *keystest.MemKeyStore, mk []byte) *keys.Manager {
	tb.Helper()
	m, err := keys.NewManager(context.Background(), ks, mk, keys.Options{UnknownKIDReloadInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

type jwk struct {
	Kty, Use, Alg, Kid, N, E, Crv, X, Y, X5t string
	X5c                                      []string
}

func jwks(tb testing.TB, m *keys.Manager) []jwk {
	tb.Helper()
	body, etag := m.JWKS()
	if etag == "" {
		tb.Fatal("no ETag")
	}
	var doc struct{ Keys []jwk }
	if err := json.Unmarshal(body, &doc); err != nil {
		tb.Fatal(err)
	}
	// The document must also be a JWK Set go-jose accepts.
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		tb.Fatalf("go-jose rejects the JWKS: %v", err)
	}
	return doc.Keys
}

func TestFirstStartGeneratesCurrentAndNext(t *testing.T) {
	ks := &keystest.MemKeyStore{}
	m := MustManager(t, ks, master)
	list := m.Signers()
	if len(list) != 2 || list[0].State != domain.KeyCurrent || list[1].State != domain.KeyNext {
		t.Fatalf("want current then next, got %d keys", len(list))
	}
	got := jwks(t, m)
	if len(got) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(got))
	}
	for i, k := range got {
		if k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" || k.Kid != list[i].KID || k.N == "" || k.E != "AQAB" || len(k.X5c) != 1 || k.X5t != list[i].Thumbprint() {
			t.Errorf("key %d: %+v", i, k)
		}
	}
	// A second start finds the keys and generates nothing.
	m2 := MustManager(t, ks, master)
	if len(m2.Signers()) != 2 || m2.Signers()[0].KID != list[0].KID {
		t.Fatal("second start did not reuse the stored keys")
	}
}

func TestPrivateKeysEncryptedAtRest(t *testing.T) {
	ks := &keystest.MemKeyStore{}
	MustManager(t, ks, master)
	stored, _ := ks.ListSigningKeys(context.Background())
	for _, k := range stored {
		if bytes.Contains(k.PrivateKeyEncrypted, []byte("PRIVATE KEY")) {
			t.Fatal("private key stored as PEM")
		}
		if _, err := x509.ParsePKCS8PrivateKey(k.PrivateKeyEncrypted); err == nil {
			t.Fatal("private key stored as plain PKCS #8")
		}
		if bytes.Contains(k.PrivateKeyEncrypted, []byte{0x02, 0x82, 0x01, 0x01, 0x00}) {
			t.Fatal("stored key contains a DER RSA modulus")
		}
	}
	if _, err := keys.NewManager(context.Background(), ks, bytes.Repeat([]byte{8}, 32), keys.Options{}); err == nil {
		t.Fatal("keys decrypted with another master key")
	}
	// Ciphertext bound to its kid: swapping two rows' ciphertexts fails.
	ks.Stored[0].PrivateKeyEncrypted, ks.Stored[1].PrivateKeyEncrypted = ks.Stored[1].PrivateKeyEncrypted, ks.Stored[0].PrivateKeyEncrypted
	if _, err := keys.NewManager(context.Background(), ks, master, keys.Options{}); err == nil {
		t.Fatal("a ciphertext decrypted under another kid")
	}
	if _, err := keys.NewManager(context.Background(), &keystest.MemKeyStore{}, []byte("short"), keys.Options{}); err == nil {
		t.Fatal("short master key accepted")
	}
}

func TestRotateAndRevoke(t *testing.T) {
	ctx := context.Background()
	ks := &keystest.MemKeyStore{}
	a := MustManager(t, ks, master)
	b := MustManager(t, ks, master) // another node
	cur0, _ := a.Current(ctx, keys.RS256)
	next0 := a.Signers()[1]

	cur1, err := a.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur1.KID != next0.KID {
		t.Fatalf("rotation made %s current, want the next key %s", cur1.KID, next0.KID)
	}
	states := map[string]string{}
	for _, k := range jwks(t, a) {
		states[k.Kid] = ""
	}
	for _, s := range a.Signers() {
		states[s.KID] = s.State
	}
	if len(a.Signers()) != 3 || states[cur0.KID] != domain.KeyPrevious || states[cur1.KID] != domain.KeyCurrent {
		t.Fatalf("after rotation: %v", states)
	}
	if len(jwks(t, a)) != 3 {
		t.Fatal("JWKS must list next, current and previous")
	}

	// Node b still signs with the old key until it polls; it verifies the new kid on demand.
	if s, _ := b.Current(ctx, keys.RS256); s.KID != cur0.KID {
		t.Fatal("node b changed keys without polling")
	}
	if _, alg, err := b.VerificationKey(ctx, a.Signers()[1].KID); err != nil || alg != keys.RS256 {
		t.Fatalf("unknown kid not reloaded: %v", err)
	}
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if s := b.Signers()[0]; s.KID != cur1.KID || s.State != domain.KeyCurrent {
		t.Fatal("node b did not pick up the rotation")
	}

	// Rotating from a stale view fails instead of leaving two current keys.
	if err := a.Revoke(ctx, cur1.KID); err == nil {
		t.Fatal("revoked the current key")
	}
	if err := a.Revoke(ctx, cur0.KID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.VerificationKey(ctx, cur0.KID); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatalf("revoked key still verifies: %v", err)
	}
	for _, k := range jwks(t, a) {
		if k.Kid == cur0.KID {
			t.Fatal("revoked key still published")
		}
	}
}

func TestES256KeysAppearWhenFirstUsed(t *testing.T) {
	ctx := context.Background()
	m := MustManager(t, &keystest.MemKeyStore{}, master)
	for _, k := range jwks(t, m) {
		if k.Kty != "RSA" {
			t.Fatal("EC key published before any API uses ES256")
		}
	}
	s, err := m.Current(ctx, keys.ES256)
	if err != nil || s.Alg != keys.ES256 {
		t.Fatalf("ES256 signer: %v", err)
	}
	ec := 0
	for _, k := range jwks(t, m) {
		if k.Kty == "EC" {
			ec++
			if k.Crv != "P-256" || k.X == "" || k.Y == "" || k.Alg != "ES256" || len(k.X5c) != 1 {
				t.Errorf("EC key: %+v", k)
			}
		}
	}
	if ec != 2 {
		t.Fatalf("want current and next EC keys, got %d", ec)
	}
	if _, err := m.Current(ctx, "HS256"); err == nil {
		t.Fatal("HS256 accepted")
	}
}

// TestNewKeySignsOnlyOncePublished: two rotations in quick succession make current a key that was
// published a moment ago; a node keeps signing with the key it replaced (still in every JWKS) until
// the new one has been published for PublishLead, so no client holds a token whose key its JWKS
// lacks. A revoked fallback is never used.
func TestNewKeySignsOnlyOncePublished(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	ks := &keystest.MemKeyStore{}
	m, err := keys.NewManager(ctx, ks, master, keys.Options{UnknownKIDReloadInterval: -1, Now: clock, PublishLead: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := m.Current(ctx, keys.RS256)
	if first.KID != m.Signers()[0].KID {
		t.Fatal("a new installation must sign with its first key at once")
	}
	now = now.Add(time.Hour)
	second, err := m.Rotate(ctx) // the next key, published an hour ago
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Current(ctx, keys.RS256); s.KID != second.KID {
		t.Fatalf("signing with %s; want the long-published next key %s", s.KID, second.KID)
	}
	now = now.Add(time.Second)
	third, err := m.Rotate(ctx) // published one second ago, as next of the first rotation
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Current(ctx, keys.RS256); s.KID != second.KID {
		t.Fatalf("signing with %s one second after it was published; want %s", s.KID, second.KID)
	}
	now = now.Add(4 * time.Second) // five seconds after the third key was published
	if s, _ := m.Current(ctx, keys.RS256); s.KID != third.KID {
		t.Fatalf("signing with %s after the lead; want %s", s.KID, third.KID)
	}
	// The fourth key was published four seconds ago, at the second rotation: within the lead again.
	fourth, err := m.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Current(ctx, keys.RS256); s.KID != third.KID {
		t.Fatalf("signing with %s; want %s", s.KID, third.KID)
	}
	if err := m.Revoke(ctx, third.KID); err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Current(ctx, keys.RS256); s.KID != fourth.KID {
		t.Fatalf("signing with %s after its fallback was revoked; want %s", s.KID, fourth.KID)
	}
}

// TestPS256KeysOfTheirOwn: PS256 signs with RSA keys of its own, published with alg PS256, never
// with the RS256 keys.
func TestPS256KeysOfTheirOwn(t *testing.T) {
	ctx := context.Background()
	m := MustManager(t, &keystest.MemKeyStore{}, master)
	rs, _ := m.Current(ctx, keys.RS256)
	ps, err := m.Current(ctx, keys.PS256)
	if err != nil || ps.Alg != keys.PS256 || ps.KID == rs.KID || ps.Method.Alg() != "PS256" {
		t.Fatalf("PS256 signer: %+v, %v", ps, err)
	}
	n := 0
	for _, k := range jwks(t, m) {
		if k.Alg == "PS256" {
			n++
			if k.Kty != "RSA" || k.N == "" || k.E != "AQAB" {
				t.Errorf("PS256 key: %+v", k)
			}
		}
	}
	if n != 2 {
		t.Fatalf("want current and next PS256 keys, got %d", n)
	}
	if got := m.Algorithms(); len(got) != 2 || got[0] != keys.RS256 || got[1] != keys.PS256 {
		t.Fatalf("algorithms in use: %v", got)
	}
}
