package mfa_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

var ctx = context.Background()

func engines(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqlitetest.New(t, sqlite.Options{})) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Open(t, pgtest.SchemaURL(t), postgres.Options{})) })
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		clk := &clock{t: time.Unix(1_800_000_000, 0)}
		svc, err := mfa.New(st, bytes.Repeat([]byte{7}, 32), clk.now)
		if err != nil {
			t.Fatal(err)
		}
		u := storetest.MustUser(t, st, "totp@example.com")
		e, err := svc.PendingTOTP(ctx, u.UserID, "Gatehouse", u.Email)
		if err != nil {
			t.Fatal(err)
		}
		// The URI names the account and carries the key; the QR code is a PNG.
		uri, _ := url.Parse(e.URI)
		if uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Query().Get("secret") != e.Secret || !strings.Contains(uri.Path, "totp@example.com") {
			t.Fatalf("uri = %s", e.URI)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.QRCode, "data:image/png;base64,"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Fatalf("qr code is not a png: %v", err)
		}
		// Reloading shows the same pending key; the stored secret is sealed, not the key.
		again, _ := svc.PendingTOTP(ctx, u.UserID, "Gatehouse", u.Email)
		if again.Secret != e.Secret || again.AuthenticatorID != e.AuthenticatorID {
			t.Fatal("a reload changed the pending key")
		}
		list, _ := st.ListMFAAuthenticators(ctx, u.UserID)
		if len(list) != 1 || bytes.Contains(list[0].Secret, []byte(e.Secret)) {
			t.Fatalf("stored = %+v", list)
		}
		if f, _ := svc.Enrolled(ctx, u.UserID); f.Any() {
			t.Fatal("an unconfirmed key counts as enrolled")
		}

		verify := func(c string, enrolling bool, want mfa.Outcome) {
			t.Helper()
			got, err := svc.VerifyTOTP(ctx, u.UserID, c, enrolling)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("VerifyTOTP(%q, enrolling=%v) = %v, want %v", c, enrolling, got, want)
			}
		}
		now := clk.t
		verify(code(t, e.Secret, now), false, mfa.Wrong) // not confirmed yet: no challenge passes
		verify(code(t, e.Secret, now), true, mfa.Accepted)
		if f, _ := svc.Enrolled(ctx, u.UserID); !f.TOTP {
			t.Fatal("an accepted code did not confirm the enrollment")
		}
		verify(code(t, e.Secret, now), false, mfa.Replayed)                      // the same code again
		verify(code(t, e.Secret, now.Add(-30*time.Second)), false, mfa.Replayed) // an earlier step
		verify(code(t, e.Secret, now.Add(-60*time.Second)), false, mfa.Wrong)    // outside ±1 step
		verify(code(t, e.Secret, now.Add(60*time.Second)), false, mfa.Wrong)
		verify("12345", false, mfa.Wrong)
		verify("abcdef", false, mfa.Wrong)
		verify(code(t, e.Secret, now.Add(30*time.Second)), false, mfa.Accepted) // the next step, once
		clk.t = now.Add(90 * time.Second)
		verify(code(t, e.Secret, clk.t), false, mfa.Accepted)

		// Another master key cannot open the secret.
		other, _ := mfa.New(st, bytes.Repeat([]byte{8}, 32), clk.now)
		if _, err := other.VerifyTOTP(ctx, u.UserID, "123456", false); err == nil {
			t.Fatal("a secret opened with another master key")
		}
	})
}

func TestRecoveryCode(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		svc, _ := mfa.New(st, bytes.Repeat([]byte{7}, 32), nil)
		u := storetest.MustUser(t, st, "rc@example.com")
		first, err := svc.NewRecoveryCode(ctx, u.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 24 || strings.Trim(first, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") != "" {
			t.Fatalf("code %q", first)
		}
		code, err := svc.NewRecoveryCode(ctx, u.UserID) // regenerating replaces it
		if err != nil {
			t.Fatal(err)
		}
		list, _ := st.ListMFAAuthenticators(ctx, u.UserID)
		if len(list) != 1 || !bytes.Equal(list[0].Secret, domain.HashSecret(code)) {
			t.Fatalf("stored = %+v", list)
		}
		if ok, _ := svc.UseRecoveryCode(ctx, u.UserID, first); ok {
			t.Fatal("a replaced code was accepted")
		}
		typed := strings.ToLower(code[:12]) + " - " + code[12:]
		if ok, _ := svc.UseRecoveryCode(ctx, u.UserID, typed); !ok {
			t.Fatal("the code, typed loosely, was refused")
		}
		if ok, _ := svc.UseRecoveryCode(ctx, u.UserID, code); ok {
			t.Fatal("a recovery code was accepted twice")
		}
	})
}
