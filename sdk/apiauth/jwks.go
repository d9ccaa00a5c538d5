package apiauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted (NIST SP 800-131A); Auth0
// and Gatehouse sign with 2048-bit keys.
const minRSABits = 2048

// minJWKSFreshness is the floor applied to an issuer's Cache-Control max-age,
// so a short max-age does not turn into a fetch every few seconds.
const minJWKSFreshness = time.Minute

var (
	errKeyNotFound = errors.New("no applicable key found in the JSON Web Key Set")
	errKeyMismatch = errors.New("the key named by 'kid' cannot verify this 'alg'")
)

// verificationKey is one parsed public key ready for use by a verifier.
type verificationKey struct {
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // the JWK "alg", empty when the JWK does not restrict it
}

// keySet is an immutable snapshot of the JWKS; the cache swaps whole sets.
type keySet struct {
	byKID   map[string]verificationKey
	all     []verificationKey // for tokens without "kid"
	expires time.Time
}

// keyCache holds the issuer's JWKS. Readers take the current set with one
// atomic load; fetches are serialised so a burst of callers shares one.
type keyCache struct {
	uri      string
	client   *http.Client
	timeout  time.Duration
	ttl      time.Duration
	cooldown time.Duration
	now      func() time.Time
	log      *slog.Logger

	set atomic.Pointer[keySet]

	mu          sync.Mutex
	flight      *fetchCall
	lastUnknown time.Time // start of the last refetch caused by an unknown kid
	retryAt     time.Time // after a failure, no fetch before this
	backoff     time.Duration
	lastErr     error
}

func newKeyCache(uri string, s settings) *keyCache {
	return &keyCache{
		uri:      uri,
		client:   s.HTTPClient,
		timeout:  s.FetchTimeout,
		ttl:      s.JWKSCacheTTL,
		cooldown: s.JWKSRefetchCooldown,
		now:      s.Now,
		log:      s.Logger,
	}
}

// key returns the verification key for kid and alg from the cached set without
// any I/O. errKeyNotFound means a refetch may help.
func (kc *keyCache) key(kid, alg string) (any, error) {
	set := kc.set.Load()
	if set == nil {
		return nil, errKeyNotFound
	}
	if kc.now().After(set.expires) {
		kc.refreshInBackground()
	}
	if kid == "" {
		// RFC 7515 §4.1.4 makes kid optional: accept only when exactly one
		// published key can verify this alg, so the choice is unambiguous.
		var found any
		for _, k := range set.all {
			if k.fits(alg) {
				if found != nil {
					return nil, errKeyNotFound
				}
				found = k.key
			}
		}
		if found == nil {
			return nil, errKeyNotFound
		}
		return found, nil
	}
	k, ok := set.byKID[kid]
	if !ok {
		return nil, errKeyNotFound
	}
	if !k.fits(alg) {
		return nil, errKeyMismatch
	}
	return k.key, nil
}

// fits reports whether the key may verify alg: the JWK's own "alg" (when
// present) must agree, and the key type must be the one alg is defined for
// (RFC 7518 §3.1), so a key is never used with another family's verifier.
func (k verificationKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// refetch is called after a lookup in seen (nil before the first successful
// fetch) missed. It fetches the JWKS again unless the unknown-kid cooldown
// forbids it, joining a fetch already under way, and reports whether the
// current set differs from seen so that a second lookup is worth doing.
func (kc *keyCache) refetch(ctx context.Context, seen *keySet) (changed bool, err error) {
	kc.mu.Lock()
	if cur := kc.set.Load(); cur != seen {
		kc.mu.Unlock()
		return true, nil
	}
	c := kc.flight
	if c == nil {
		now := kc.now()
		switch {
		case now.Before(kc.retryAt):
			err := kc.lastErr
			kc.mu.Unlock()
			return false, err
		case seen != nil && !kc.lastUnknown.IsZero() && now.Sub(kc.lastUnknown) < kc.cooldown:
			kc.mu.Unlock()
			return false, nil
		}
		if seen != nil {
			kc.lastUnknown = now
		}
		c = kc.startLocked()
	}
	kc.mu.Unlock()
	if err := c.wait(ctx); err != nil {
		return false, err
	}
	return kc.set.Load() != seen, nil
}

// refreshInBackground starts a fetch when the cached set has gone stale; the
// current keys stay in use meanwhile (stale-while-revalidate).
func (kc *keyCache) refreshInBackground() {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.flight == nil && !kc.now().Before(kc.retryAt) {
		kc.startLocked()
	}
}

// startLocked begins a fetch; kc.mu must be held. The fetch is detached from
// any request's context so one caller giving up does not fail the others.
func (kc *keyCache) startLocked() *fetchCall {
	c := &fetchCall{done: make(chan struct{})}
	kc.flight = c
	go func() {
		set, err := kc.load(context.Background())
		kc.mu.Lock()
		now := kc.now()
		if err != nil {
			kc.backoff = nextBackoff(kc.backoff, kc.cooldown)
			kc.retryAt = now.Add(kc.backoff)
			kc.lastErr = err
			if old := kc.set.Load(); old != nil {
				// Keep serving the old keys, and keep readers from
				// re-triggering a refresh before the retry time.
				cp := *old
				cp.expires = kc.retryAt
				kc.set.Store(&cp)
			}
			kc.log.Warn("apiauth: JWKS fetch failed", "jwks_uri", kc.uri, "error", err, "retry_in", kc.backoff)
		} else {
			kc.backoff, kc.retryAt, kc.lastErr = 0, time.Time{}, nil
			kc.set.Store(set)
		}
		kc.flight = nil
		kc.mu.Unlock()
		c.err = err
		close(c.done)
	}()
	return c
}

// load fetches and parses the JWKS (RFC 7517 §5). Keys that cannot serve for
// signature verification are skipped one by one, so a single unusual key
// (a new key type, an encryption key) does not make the whole set unusable.
func (kc *keyCache) load(ctx context.Context) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	h, err := getJSON(ctx, kc.client, kc.timeout, kc.uri, &doc)
	if err != nil {
		return nil, err
	}
	set := &keySet{byKID: make(map[string]verificationKey, len(doc.Keys))}
	for i, raw := range doc.Keys {
		k, kid, err := parseJWK(raw)
		if err != nil {
			kc.log.Debug("apiauth: JWKS key skipped", "jwks_uri", kc.uri, "index", i, "reason", err)
			continue
		}
		if kid != "" {
			if _, dup := set.byKID[kid]; dup {
				kc.log.Warn("apiauth: JWKS repeats a kid; the first key is used", "jwks_uri", kc.uri, "kid", kid)
				continue
			}
			set.byKID[kid] = k
		}
		set.all = append(set.all, k)
	}
	if len(set.all) == 0 {
		return nil, fmt.Errorf("%s: %w", kc.uri, errNoUsableKeys)
	}
	fresh := kc.ttl
	if age, ok := maxAge(h); ok {
		fresh = min(kc.ttl, max(age, minJWKSFreshness))
	}
	set.expires = kc.now().Add(fresh)
	return set, nil
}

// parseJWK turns one JWK into a verification key, refusing symmetric keys,
// keys published with private material, keys for encryption, and short RSA
// moduli.
func parseJWK(raw json.RawMessage) (verificationKey, string, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return verificationKey{}, "", err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return verificationKey{}, "", fmt.Errorf("use %q is not sig", jwk.Use)
	}
	if !jwk.IsPublic() {
		return verificationKey{}, "", errors.New("private or symmetric key material is never used")
	}
	switch key := jwk.Key.(type) {
	case *rsa.PublicKey:
		if key.N.BitLen() < minRSABits {
			return verificationKey{}, "", fmt.Errorf("RSA key of %d bits is below %d", key.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return verificationKey{}, "", fmt.Errorf("key type %T cannot verify signatures", key)
	}
	return verificationKey{key: jwk.Key, alg: jwk.Algorithm}, jwk.KeyID, nil
}
