package storetest

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func mustSession(t testing.TB, s store.Store, userID, id string) *domain.Session {
	t.Helper()
	t0 := now()
	ss := &domain.Session{ID: id, TokenHash: domain.HashSecret("cookie-" + id), UserID: userID, ClientIDs: []string{"c1"},
		IP: "203.0.113.1", CreatedAt: t0, AuthenticatedAt: t0, LastSeenAt: t0,
		IdleExpiresAt: t0.Add(72 * time.Hour), ExpiresAt: t0.Add(168 * time.Hour)}
	must(t, s.CreateSession(ctx, ss))
	return ss
}

// mustRefresh stores the first token of a new family, expiring in an hour.
func mustRefresh(t testing.TB, s store.Store, clientID, userID, token string) *domain.RefreshToken {
	t.Helper()
	t0 := now()
	exp, idle := t0.Add(time.Hour), t0.Add(30*time.Minute)
	rt := &domain.RefreshToken{TokenHash: domain.HashSecret(token), FamilyID: "fam-" + token, ClientID: clientID, UserID: userID,
		Scope: "openid offline_access", Rotating: true, AuthTime: t0, CreatedAt: t0, ExpiresAt: &exp, IdleExpiresAt: &idle,
		Claims: domain.RefreshContext{IDTokenClaims: map[string]any{"https://example.com/roles": []any{"admin"}}}}
	must(t, s.CreateRefreshToken(ctx, rt))
	return rt
}

func testSessions(t *testing.T, s store.Store) {
	u := MustUser(t, s, "sess@example.com")
	ss := mustSession(t, s, u.UserID, "sid-1")
	got, err := s.GetSessionByTokenHash(ctx, domain.HashSecret("cookie-sid-1"))
	must(t, err)
	eq(t, "id", got.ID, "sid-1")
	eq(t, "user", got.UserID, u.UserID)
	sameTime(t, "expires", got.ExpiresAt, ss.ExpiresAt)
	_, err = s.GetSessionByTokenHash(ctx, domain.HashSecret("other"))
	wantErr(t, err, store.ErrNotFound)
	wantConflict(t, s.CreateSession(ctx, &domain.Session{ID: "sid-2", TokenHash: ss.TokenHash, UserID: u.UserID}), "token_hash")

	later := ss.LastSeenAt.Add(time.Minute)
	must(t, s.TouchSession(ctx, ss.ID, later, later.Add(72*time.Hour), []string{"c1", "c2"}))
	got, err = s.GetSession(ctx, ss.ID)
	must(t, err)
	sameTime(t, "last seen", got.LastSeenAt, later)
	sameTime(t, "idle expiry", got.IdleExpiresAt, later.Add(72*time.Hour))
	if !reflect.DeepEqual(got.ClientIDs, []string{"c1", "c2"}) {
		t.Fatalf("client ids = %v", got.ClientIDs)
	}
	wantErr(t, s.TouchSession(ctx, "missing", later, later, nil), store.ErrNotFound)

	mustSession(t, s, u.UserID, "sid-3")
	other := MustUser(t, s, "other-sess@example.com")
	mustSession(t, s, other.UserID, "sid-other")
	list, err := s.ListUserSessions(ctx, u.UserID)
	must(t, err)
	if len(list) != 2 || list[0].ID == list[1].ID || (list[0].ID != "sid-1" && list[1].ID != "sid-1") {
		t.Fatalf("ListUserSessions = %+v, want sid-1 and sid-3", list)
	}
	for _, l := range list {
		if l.ID == "sid-1" && !reflect.DeepEqual(l.ClientIDs, []string{"c1", "c2"}) {
			t.Errorf("listed client ids = %v", l.ClientIDs)
		}
	}
	must(t, s.DeleteSession(ctx, ss.ID))
	must(t, s.DeleteSession(ctx, ss.ID)) // idempotent
	_, err = s.GetSession(ctx, ss.ID)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.DeleteUserSessions(ctx, u.UserID))
	_, err = s.GetSession(ctx, "sid-3")
	wantErr(t, err, store.ErrNotFound)
	list, err = s.ListUserSessions(ctx, u.UserID)
	must(t, err)
	eq(t, "sessions left", len(list), 0)
	_, err = s.GetSession(ctx, "sid-other")
	must(t, err)
}

func testTransactions(t *testing.T, s store.Store) {
	t0 := time.Now().UTC()
	tx := &domain.LoginTransaction{ID: "tx-1", BrowserBindingHash: domain.HashSecret("b"), ClientID: "c1",
		RedirectURI: "http://localhost:3000/callback", ResponseType: "code", Scope: "openid", State: "xyz",
		MaxAge: ptr(0), Params: map[string]string{"ui_locales": "fr"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.CreateTransaction(ctx, tx))
	got, err := s.GetTransaction(ctx, "tx-1")
	must(t, err)
	if got.State != "xyz" || got.MaxAge == nil || *got.MaxAge != 0 || got.Params["ui_locales"] != "fr" ||
		!reflect.DeepEqual(got.BrowserBindingHash, tx.BrowserBindingHash) {
		t.Fatalf("transaction = %+v", got)
	}
	got.UserID = "auth0|u"
	must(t, s.UpdateTransaction(ctx, got))
	got, err = s.GetTransaction(ctx, "tx-1")
	must(t, err)
	eq(t, "user after update", got.UserID, "auth0|u")
	wantConflict(t, s.CreateTransaction(ctx, tx), "id")

	expired := &domain.LoginTransaction{ID: "tx-old", CreatedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(-time.Second)}
	must(t, s.CreateTransaction(ctx, expired))
	_, err = s.GetTransaction(ctx, "tx-old")
	wantErr(t, err, store.ErrNotFound)

	// Finishing a transaction is single-use: one of several racing requests wins.
	race := &domain.LoginTransaction{ID: "tx-race", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.CreateTransaction(ctx, race))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.ConsumeTransaction(ctx, "tx-race"); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ConsumeTransaction: %v", err)
			}
		}()
	}
	wg.Wait()
	eq(t, "transaction consumers that won", wins.Load(), int32(1))

	must(t, s.DeleteTransaction(ctx, "tx-1"))
	must(t, s.DeleteTransaction(ctx, "tx-1")) // idempotent
	_, err = s.GetTransaction(ctx, "tx-1")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.UpdateTransaction(ctx, tx), store.ErrNotFound)
}

func newCode(code string, created time.Time) *domain.AuthorizationCode {
	return &domain.AuthorizationCode{CodeHash: domain.HashSecret(code), ClientID: "c1", UserID: "auth0|u", SessionID: "sid",
		RedirectURI: "http://localhost:3000/callback", Scope: "openid profile", Audience: api1, Nonce: "n",
		CodeChallenge: "abc", CodeChallengeMethod: "S256", AuthTime: created,
		IDTokenClaims: map[string]any{"https://example.com/roles": []any{"admin"}}, CreatedAt: created,
		ExpiresAt: created.Add(domain.AuthorizationCodeLifetime)}
}

func testCodes(t *testing.T, s store.Store) {
	t0 := now()
	c := newCode("code-1", t0)
	must(t, s.CreateAuthorizationCode(ctx, c))
	got, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, t0.Add(time.Second))
	must(t, err)
	if got.UsedAt == nil || got.Nonce != "n" || got.CodeChallenge != "abc" || got.IDTokenClaims["https://example.com/roles"] == nil {
		t.Fatalf("redeemed code = %+v", got)
	}
	must(t, s.SetCodeIssuedFamily(ctx, c.CodeHash, "fam-1"))
	again, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, t0.Add(2*time.Second))
	wantErr(t, err, store.ErrAlreadyUsed)
	if again == nil || again.IssuedFamilyID != "fam-1" {
		t.Fatalf("a replay must return the record with the issued family; got %+v", again)
	}

	_, err = s.RedeemAuthorizationCode(ctx, domain.HashSecret("unknown"), t0)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.SetCodeIssuedFamily(ctx, domain.HashSecret("unknown"), "f"), store.ErrNotFound)

	// A code is dead at ExpiresAt.
	late := newCode("code-2", t0)
	must(t, s.CreateAuthorizationCode(ctx, late))
	_, err = s.RedeemAuthorizationCode(ctx, late.CodeHash, late.ExpiresAt)
	wantErr(t, err, store.ErrNotFound)
	wantConflict(t, s.CreateAuthorizationCode(ctx, newCode("code-1", t0)), "code")
}

func testRevokedAccessTokens(t *testing.T, s store.Store) {
	t0 := now()
	revoked := func(id string, at time.Time) bool {
		t.Helper()
		ok, err := s.AccessTokenRevoked(ctx, id, at)
		must(t, err)
		return ok
	}
	if revoked("jti-1", t0) {
		t.Fatal("an id never revoked is listed")
	}
	must(t, s.RevokeAccessToken(ctx, "jti-1", t0.Add(time.Hour)))
	// Listing it again (a third use of the code) changes nothing, not even the expiry.
	must(t, s.RevokeAccessToken(ctx, "jti-1", t0.Add(time.Minute)))
	if !revoked("jti-1", t0) || !revoked("jti-1", t0.Add(30*time.Minute)) {
		t.Error("a revoked id is not listed")
	}
	if revoked("jti-1", t0.Add(time.Hour)) {
		t.Error("a listing outlives the token it names")
	}
	if revoked("jti-2", t0) || revoked("JTI-1", t0) {
		t.Error("another id is listed")
	}
	// DeleteExpired drops listings whose tokens have expired, and only those.
	must(t, s.RevokeAccessToken(ctx, "jti-3", t0.Add(3*time.Hour)))
	_, err := s.DeleteExpired(ctx, t0.Add(2*time.Hour))
	must(t, err)
	if !revoked("jti-3", t0) {
		t.Error("DeleteExpired dropped a live listing")
	}
	must(t, s.RevokeAccessToken(ctx, "jti-1", t0.Add(4*time.Hour)))
	if !revoked("jti-1", t0.Add(3*time.Hour)) {
		t.Error("an expired, deleted listing cannot be made again")
	}
}

func testRefreshTokens(t *testing.T, s store.Store) {
	c := MustClient(t, s, "web")
	u := MustUser(t, s, "rt@example.com")
	rt := mustRefresh(t, s, c.ClientID, u.UserID, "rt-1")
	got, err := s.GetRefreshToken(ctx, rt.TokenHash)
	must(t, err)
	if got.FamilyID != rt.FamilyID || got.Scope != rt.Scope || !got.ExpiresAt.Equal(*rt.ExpiresAt) || got.Claims.IDTokenClaims == nil {
		t.Fatalf("refresh token = %+v", got)
	}
	_, err = s.GetRefreshToken(ctx, domain.HashSecret("missing"))
	wantErr(t, err, store.ErrNotFound)

	idle := now().Add(45 * time.Minute)
	must(t, s.TouchRefreshToken(ctx, rt.TokenHash, &idle))
	got, err = s.GetRefreshToken(ctx, rt.TokenHash)
	must(t, err)
	sameTime(t, "idle expiry", *got.IdleExpiresAt, idle)
	wantErr(t, s.TouchRefreshToken(ctx, domain.HashSecret("missing"), &idle), store.ErrNotFound)

	// Rotation copies the absolute expiry, never extends it, and marks the old token rotated.
	t1 := now()
	farFuture := t1.Add(1000 * time.Hour)
	next := &domain.RefreshToken{TokenHash: domain.HashSecret("rt-2"), Scope: rt.Scope, Rotating: true, ExpiresAt: &farFuture}
	old, err := s.RotateRefreshToken(ctx, rt.TokenHash, next, fixed(t1), 0)
	must(t, err)
	if old.RotatedAt == nil || !old.RotatedAt.Equal(t1) {
		t.Fatalf("old token rotated_at = %v, want %v", old.RotatedAt, t1)
	}
	stored, err := s.GetRefreshToken(ctx, next.TokenHash)
	must(t, err)
	eq(t, "family", stored.FamilyID, rt.FamilyID)
	eq(t, "generation", stored.Generation, rt.Generation+1)
	eq(t, "client", stored.ClientID, c.ClientID)
	sameTime(t, "absolute expiry copied", *stored.ExpiresAt, *rt.ExpiresAt)

	_, err = s.RotateRefreshToken(ctx, domain.HashSecret("missing"), &domain.RefreshToken{TokenHash: domain.HashSecret("x")}, fixed(t1), 0)
	wantErr(t, err, store.ErrNotFound)
	// An expired token is invalid, not reused.
	_, err = s.RotateRefreshToken(ctx, next.TokenHash, &domain.RefreshToken{TokenHash: domain.HashSecret("rt-3")}, fixed(rt.ExpiresAt.Add(time.Second)), 0)
	wantErr(t, err, store.ErrRefreshInvalid)

	// Revocation by family and by user.
	must(t, s.RevokeRefreshFamily(ctx, rt.FamilyID, t1))
	_, err = s.RotateRefreshToken(ctx, next.TokenHash, &domain.RefreshToken{TokenHash: domain.HashSecret("rt-4")}, fixed(t1), 0)
	wantErr(t, err, store.ErrRefreshInvalid)
	other := mustRefresh(t, s, c.ClientID, u.UserID, "rt-other")
	must(t, s.RevokeUserRefreshTokens(ctx, u.UserID, t1))
	got, err = s.GetRefreshToken(ctx, other.TokenHash)
	must(t, err)
	if got.RevokedAt == nil {
		t.Fatal("RevokeUserRefreshTokens left a token live")
	}
	wantConflict(t, s.CreateRefreshToken(ctx, mustRefreshValue(c.ClientID, u.UserID, "rt-other")), "refresh_token")
}

// fixed is a clock stopped at t.
func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustRefreshValue(clientID, userID, token string) *domain.RefreshToken {
	return &domain.RefreshToken{TokenHash: domain.HashSecret(token), FamilyID: "f", ClientID: clientID, UserID: userID}
}

// testRefreshRotationLeeway: the token just rotated may be exchanged again within the leeway (a
// client retrying a lost response), and the retry's token replaces the one the lost response
// carried, so a family never has two live tokens; a token older than the newest one's parent never
// may, nor the parent after the leeway; presenting either revokes the family.
func testRefreshRotationLeeway(t *testing.T, s store.Store) {
	c := MustClient(t, s, "spa")
	u := MustUser(t, s, "leeway@example.com")
	t0 := now()
	leeway := 30 * time.Second
	rotate := func(oldToken, newToken string, at time.Time) error {
		_, err := s.RotateRefreshToken(ctx, domain.HashSecret(oldToken), &domain.RefreshToken{TokenHash: domain.HashSecret(newToken)}, fixed(at), leeway)
		return err
	}
	revoked := func(token string) bool {
		t.Helper()
		got, err := s.GetRefreshToken(ctx, domain.HashSecret(token))
		must(t, err)
		return got.RevokedAt != nil
	}

	// A retry within the leeway supersedes the token the first exchange gave: presenting that one
	// afterwards is a reuse, since the client that retried never received it.
	mustRefresh(t, s, c.ClientID, u.UserID, "a0")
	must(t, rotate("a0", "a1", t0))
	must(t, rotate("a0", "a1-retry", t0.Add(10*time.Second)))
	wantErr(t, rotate("a1", "a2", t0.Add(11*time.Second)), store.ErrRefreshReused)
	if !revoked("a1-retry") {
		t.Fatal("presenting a superseded token did not revoke the family")
	}

	// The retry's token carries the family on; its parent may be retried again, once it is the
	// parent of the newest; a token older than that is a reuse even within its leeway.
	mustRefresh(t, s, c.ClientID, u.UserID, "b0")
	must(t, rotate("b0", "b1", t0))
	must(t, rotate("b0", "b1-retry", t0.Add(5*time.Second)))
	must(t, rotate("b1-retry", "b2", t0.Add(6*time.Second)))
	must(t, rotate("b1-retry", "b2-retry", t0.Add(7*time.Second)))
	wantErr(t, rotate("b0", "x", t0.Add(8*time.Second)), store.ErrRefreshReused)
	if !revoked("b2-retry") {
		t.Fatal("reuse of a token two generations old did not revoke the family")
	}
	wantErr(t, rotate("b2-retry", "y", t0.Add(9*time.Second)), store.ErrRefreshInvalid)

	// Outside the leeway even the immediately previous token is a reuse.
	mustRefresh(t, s, c.ClientID, u.UserID, "c0")
	must(t, rotate("c0", "c1", t0))
	wantErr(t, rotate("c0", "c1x", t0.Add(leeway)), store.ErrRefreshReused)
	if !revoked("c1") {
		t.Fatal("reuse outside the leeway did not revoke the family")
	}

	// A token that was never rotated but is not the family's newest (a sibling a fork left behind)
	// is a reuse too.
	d0 := mustRefresh(t, s, c.ClientID, u.UserID, "d0")
	must(t, rotate("d0", "d1", t0))
	stale := mustRefreshValue(c.ClientID, u.UserID, "d1-stale")
	stale.FamilyID, stale.Generation = d0.FamilyID, 1
	must(t, s.CreateRefreshToken(ctx, stale))
	must(t, rotate("d1", "d2", t0.Add(time.Second)))
	wantErr(t, rotate("d1-stale", "d2x", t0.Add(2*time.Second)), store.ErrRefreshReused)
	if !revoked("d2") {
		t.Fatal("presenting a stale sibling did not revoke the family")
	}
}

func testDeleteExpired(t *testing.T, s store.Store) {
	c := MustClient(t, s, "web")
	u := MustUser(t, s, "gc@example.com")
	t0 := now()
	past, future := t0.Add(-time.Minute), t0.Add(time.Hour)

	must(t, s.CreateTransaction(ctx, &domain.LoginTransaction{ID: "tx-old", CreatedAt: past, ExpiresAt: past}))
	must(t, s.CreateTransaction(ctx, &domain.LoginTransaction{ID: "tx-new", CreatedAt: t0, ExpiresAt: future}))
	must(t, s.CreateSession(ctx, &domain.Session{ID: "s-old", TokenHash: []byte("s-old"), UserID: u.UserID, IdleExpiresAt: past, ExpiresAt: future}))
	must(t, s.CreateSession(ctx, &domain.Session{ID: "s-new", TokenHash: []byte("s-new"), UserID: u.UserID, IdleExpiresAt: future, ExpiresAt: future}))
	oldCode, newCodeV := newCode("old", past.Add(-domain.AuthorizationCodeLifetime)), newCode("new", t0)
	must(t, s.CreateAuthorizationCode(ctx, oldCode))
	must(t, s.CreateAuthorizationCode(ctx, newCodeV))
	for _, rt := range []*domain.RefreshToken{
		{TokenHash: []byte("rt-abs"), FamilyID: "f1", ClientID: c.ClientID, UserID: u.UserID, ExpiresAt: &past, IdleExpiresAt: &future},
		{TokenHash: []byte("rt-idle"), FamilyID: "f2", ClientID: c.ClientID, UserID: u.UserID, IdleExpiresAt: &past},
		{TokenHash: []byte("rt-live"), FamilyID: "f3", ClientID: c.ClientID, UserID: u.UserID, ExpiresAt: &future, IdleExpiresAt: &future},
		{TokenHash: []byte("rt-forever"), FamilyID: "f4", ClientID: c.ClientID, UserID: u.UserID},
	} {
		must(t, s.CreateRefreshToken(ctx, rt))
	}

	n, err := s.DeleteExpired(ctx, t0)
	must(t, err)
	eq(t, "rows deleted", n, int64(5))
	_, err = s.GetSession(ctx, "s-new")
	must(t, err)
	_, err = s.GetSession(ctx, "s-old")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetTransaction(ctx, "tx-new")
	must(t, err)
	for _, h := range []string{"rt-live", "rt-forever"} {
		_, err = s.GetRefreshToken(ctx, []byte(h))
		must(t, err)
	}
	for _, h := range []string{"rt-abs", "rt-idle"} {
		_, err = s.GetRefreshToken(ctx, []byte(h))
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = s.RedeemAuthorizationCode(ctx, newCodeV.CodeHash, t0)
	must(t, err)
	n, err = s.DeleteExpired(ctx, t0)
	must(t, err)
	eq(t, "second pass", n, int64(0))
}
