package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func newAlgKey(kid, alg, state string, created time.Time) *domain.SigningKey {
	k := newKey(kid, state, created)
	k.Alg = alg
	return k
}

// keyStates returns kid → "alg/state".
func keyStates(t testing.TB, s store.Store) map[string]string {
	t.Helper()
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	out := map[string]string{}
	for _, k := range keys {
		out[k.KID] = k.Alg + "/" + k.State
	}
	return out
}

func wantKeyStates(t testing.TB, s store.Store, want map[string]string) {
	t.Helper()
	got := keyStates(t, s)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("key states = %v, want %v", got, want)
	}
}

// testSigningKeysPerAlg: each algorithm has its own current and next key, and rotating one
// algorithm leaves the others' keys as they were.
func testSigningKeysPerAlg(t *testing.T, s store.Store) {
	t0 := now()
	rsCur := newAlgKey("rs1", "RS256", domain.KeyCurrent, t0)
	rsCur.CurrentSince = &t0
	must(t, s.CreateSigningKey(ctx, rsCur))
	must(t, s.CreateSigningKey(ctx, newAlgKey("rs2", "RS256", domain.KeyNext, t0)))
	must(t, s.CreateSigningKey(ctx, newAlgKey("es1", "ES256", domain.KeyCurrent, t0)))
	must(t, s.CreateSigningKey(ctx, newAlgKey("es2", "ES256", domain.KeyNext, t0)))
	wantConflict(t, s.CreateSigningKey(ctx, newAlgKey("es9", "ES256", domain.KeyCurrent, t0)), "state")
	wantConflict(t, s.CreateSigningKey(ctx, newAlgKey("rs9", "RS256", domain.KeyNext, t0)), "state")

	// The expected current key is the rotated algorithm's: another algorithm's current key is stale.
	wantConflict(t, s.RotateSigningKeys(ctx, "rs1", newAlgKey("es3", "ES256", "", t0), t0.Add(time.Minute)), "kid")
	// A key without an algorithm cannot say which set it joins.
	var de *domain.Error
	if err := s.RotateSigningKeys(ctx, "rs1", newAlgKey("xx", "", "", t0), t0.Add(time.Minute)); !errors.As(err, &de) || de.Code != domain.CodeInvalid {
		t.Fatalf("rotating to a key without alg: error = %v, want invalid", err)
	}
	wantKeyStates(t, s, map[string]string{"rs1": "RS256/current", "rs2": "RS256/next", "es1": "ES256/current", "es2": "ES256/next"})

	must(t, s.RotateSigningKeys(ctx, "es1", newAlgKey("es3", "ES256", "", t0.Add(time.Second)), t0.Add(time.Minute)))
	wantKeyStates(t, s, map[string]string{"rs1": "RS256/current", "rs2": "RS256/next",
		"es1": "ES256/previous", "es2": "ES256/current", "es3": "ES256/next"})
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	for _, k := range keys {
		if k.KID == "rs1" && (k.CurrentSince == nil || !k.CurrentSince.Equal(t0) || k.PreviousSince != nil) {
			t.Fatalf("the RS256 current key changed when ES256 rotated: %+v", k)
		}
	}

	must(t, s.RotateSigningKeys(ctx, "rs1", newAlgKey("rs3", "RS256", "", t0.Add(2*time.Second)), t0.Add(2*time.Minute)))
	wantKeyStates(t, s, map[string]string{"rs1": "RS256/previous", "rs2": "RS256/current", "rs3": "RS256/next",
		"es1": "ES256/previous", "es2": "ES256/current", "es3": "ES256/next"})

	// An algorithm with no keys yet: its first key becomes current at once.
	ps := newAlgKey("ps1", "PS256", "", t0.Add(3*time.Second))
	must(t, s.RotateSigningKeys(ctx, "", ps, t0.Add(3*time.Minute)))
	eq(t, "first key of a new algorithm", ps.State, domain.KeyCurrent)
	eq(t, "ps1", keyStates(t, s)["ps1"], "PS256/current")
	eq(t, "rs2 after PS256's first key", keyStates(t, s)["rs2"], "RS256/current")
}

// testRaceRotateKeysPerAlg: 20 nodes rotate at once, half the RS256 keys and half the ES256 keys,
// all from the same current keys: one rotation of each algorithm wins, the rest get a conflict,
// and each algorithm is left with exactly one current, one next and one previous key.
func testRaceRotateKeysPerAlg(t *testing.T, s store.Store) {
	t0 := now()
	algs := []string{"RS256", "ES256"}
	for _, alg := range algs {
		must(t, s.CreateSigningKey(ctx, newAlgKey(alg+"-cur", alg, domain.KeyCurrent, t0)))
		must(t, s.CreateSigningKey(ctx, newAlgKey(alg+"-next", alg, domain.KeyNext, t0)))
	}
	errs := race(func(i int) error {
		alg := algs[i%2]
		return s.RotateSigningKeys(ctx, alg+"-cur", newAlgKey(fmt.Sprintf("%s-new-%d", alg, i), alg, "", t0), t0.Add(time.Minute))
	})
	wins := map[string]int{}
	for i, err := range errs {
		switch {
		case err == nil:
			wins[algs[i%2]]++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racer %d: error = %v, want nil or a conflict", i, err)
		}
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	count := map[string]int{}
	for _, k := range keys {
		count[k.Alg+"/"+k.State]++
	}
	for _, alg := range algs {
		if wins[alg] != 1 {
			t.Errorf("%d %s rotations succeeded, want exactly 1", wins[alg], alg)
		}
		for _, state := range []string{domain.KeyCurrent, domain.KeyNext, domain.KeyPrevious} {
			if count[alg+"/"+state] != 1 {
				t.Errorf("%s has %d %s keys after the race, want 1 (%v)", alg, count[alg+"/"+state], state, count)
			}
		}
	}
	if len(keys) != 6 {
		t.Errorf("%d keys after the race, want 6", len(keys))
	}
}

// UpgradeKeepsSigningKeys checks that a database created at schema version 1, with signing keys in
// it, keeps them when migrated to the current version, which then holds a key set per algorithm.
// v1 is a store on a database migrated to version 1 only; upgrade migrates that same database to
// the current version and returns a store on it.
func UpgradeKeepsSigningKeys(t *testing.T, v1 store.Store, upgrade func(t *testing.T) store.Store) {
	t0 := now()
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	old := []*domain.SigningKey{
		newKey("old-prev", domain.KeyPrevious, t0),
		newKey("old-cur", domain.KeyCurrent, t0.Add(time.Second)),
		newKey("old-next", domain.KeyNext, t0.Add(2*time.Second)),
		newKey("old-rev", domain.KeyRevoked, t0.Add(-time.Second)),
	}
	old[0].PreviousSince, old[1].CurrentSince, old[3].RevokedAt = &t1, &t2, &t1
	for _, k := range old {
		must(t, v1.CreateSigningKey(ctx, k))
	}
	before, err := v1.ListSigningKeys(ctx)
	must(t, err)
	version, err := v1.KeysVersion(ctx)
	must(t, err)

	s := upgrade(t)
	after, err := s.ListSigningKeys(ctx)
	must(t, err)
	if len(after) != len(before) {
		t.Fatalf("%d keys after the upgrade, want %d", len(after), len(before))
	}
	for i, b := range before {
		a := after[i]
		if a.KID != b.KID || a.Alg != b.Alg || a.State != b.State || !bytes.Equal(a.PrivateKeyEncrypted, b.PrivateKeyEncrypted) ||
			!bytes.Equal(a.CertDER, b.CertDER) || !a.CreatedAt.Equal(b.CreatedAt) || !sameTimePtr(a.CurrentSince, b.CurrentSince) ||
			!sameTimePtr(a.PreviousSince, b.PreviousSince) || !sameTimePtr(a.RevokedAt, b.RevokedAt) {
			t.Fatalf("key %d after the upgrade = %+v, want %+v", i, a, b)
		}
	}
	v, err := s.KeysVersion(ctx)
	must(t, err)
	eq(t, "keys version after the upgrade", v, version)

	// The upgraded schema takes an ES256 set beside the RS256 one and still refuses a second
	// current RS256 key; the old keys rotate as before.
	must(t, s.CreateSigningKey(ctx, newAlgKey("es-cur", "ES256", domain.KeyCurrent, t0)))
	must(t, s.CreateSigningKey(ctx, newAlgKey("es-next", "ES256", domain.KeyNext, t0)))
	wantConflict(t, s.CreateSigningKey(ctx, newKey("rs-cur2", domain.KeyCurrent, t0)), "state")
	must(t, s.RotateSigningKeys(ctx, "old-cur", newKey("rs-new", "", t0.Add(3*time.Second)), t0.Add(3*time.Hour)))
	wantKeyStates(t, s, map[string]string{"old-prev": "RS256/previous", "old-cur": "RS256/previous", "old-next": "RS256/current",
		"old-rev": "RS256/revoked", "rs-new": "RS256/next", "es-cur": "ES256/current", "es-next": "ES256/next"})
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// MigrationsUpTo returns the migrations of fsys (NNNN_description.sql) up to and including
// version, to build a database as an older Gatehouse left it.
func MigrationsUpTo(fsys fs.FS, version int) (fs.FS, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		if v, err := strconv.Atoi(num); err != nil || v > version {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out[name] = &fstest.MapFile{Data: b}
	}
	return out, nil
}
