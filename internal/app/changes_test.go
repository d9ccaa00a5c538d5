package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// ccToken asks node n for a client-credentials token of the seeded machine app.
func ccToken(ctx context.Context, n *node, secret string) (string, error) {
	tk, err := (&clientcredentials.Config{ClientID: n.tenant.M2MApp.ClientID, ClientSecret: secret,
		TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {devtenant.APIIdentifier}}}).Token(ctx)
	if err != nil {
		return "", err
	}
	return tk.AccessToken, nil
}

// TestConfigChangeReachesEveryNodeWithinOneSecond: a client secret rotated through node A's
// Management API stops working on node B, whose configuration cache held the client a moment
// before, within one second (PostgreSQL notifies the change; the cache alone keeps it for 2 s).
func TestConfigChangeReachesEveryNodeWithinOneSecond(t *testing.T) {
	nodes := startPostgresNodes(t, 2)
	a, b := nodes[0], nodes[1]
	m := newMgmtClient(t, a)
	ctx := context.Background()
	for round := range 3 {
		old := b.tenant.M2MApp.ClientSecret
		if _, err := ccToken(ctx, b, old); err != nil {
			t.Fatalf("round %d: node B before the change: %v", round, err) // also fills B's cache
		}
		status, rotated := m.do("POST", "clients/"+a.tenant.M2MApp.ClientID+"/rotate-secret", nil)
		if status != http.StatusOK {
			t.Fatalf("rotate-secret: %d %v", status, rotated)
		}
		changed := time.Now()
		for {
			_, err := ccToken(ctx, b, old)
			if err != nil && strings.Contains(err.Error(), "invalid_client") {
				t.Logf("round %d: node B refused the old secret %v after the change", round, time.Since(changed).Round(time.Millisecond))
				break
			}
			if time.Since(changed) > time.Second {
				t.Fatalf("round %d: node B still accepts the old secret %v after node A rotated it (last: %v)", round, time.Since(changed), err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		newSecret := rotated["client_secret"].(string)
		if _, err := ccToken(ctx, b, newSecret); err != nil {
			t.Fatalf("round %d: node B refuses the new secret: %v", round, err)
		}
		b.tenant.M2MApp.ClientSecret = newSecret
		a.tenant.M2MApp.ClientSecret = newSecret
	}
}

// TestRevokedKeyStopsVerifyingEverywhereWithinOneSecond: a Management API token signed with key K
// works on node B; node A rotates K out and revokes it; within one second node B refuses the token.
func TestRevokedKeyStopsVerifyingEverywhereWithinOneSecond(t *testing.T) {
	nodes := startPostgresNodes(t, 2)
	a, b := nodes[0], nodes[1]
	mb := newMgmtClient(t, b)
	kid := decodeJWTHeader(t, mb.bearer)["kid"].(string)
	if status, _ := mb.do("GET", "clients?per_page=1", nil); status != http.StatusOK {
		t.Fatalf("node B refuses a fresh token: %d", status)
	}
	ma := newMgmtClient(t, a)
	if status, out := ma.do("POST", "keys/signing/rotate", nil); status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("rotate: %d %v", status, out)
	}
	// Revoking the key both nodes may still be signing with: node A's own token goes too, so
	// node A is asked with a token minted after the revocation.
	if status, out := ma.do("PUT", "keys/signing/"+kid+"/revoke", nil); status != http.StatusOK {
		t.Fatalf("revoke: %d %v", status, out)
	}
	revoked := time.Now()
	for {
		status, _ := mb.do("GET", "clients?per_page=1", nil)
		if status == http.StatusUnauthorized {
			t.Logf("node B refused the revoked key's token %v after the revocation", time.Since(revoked).Round(time.Millisecond))
			break
		}
		if time.Since(revoked) > time.Second {
			t.Fatalf("node B still accepts a token of the revoked key %v after the revocation (status %d)", time.Since(revoked), status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What node B signs now verifies with every node's JWKS.
	fresh := newMgmtClient(t, b)
	if k := decodeJWTHeader(t, fresh.bearer)["kid"]; k == kid {
		t.Fatal("node B signs with the revoked key")
	}
	for _, n := range nodes {
		if err := verifyWithJWKS(fresh.bearer, fetchJWKS(t, http.DefaultClient, n)); err != nil {
			t.Fatalf("node %s's JWKS does not verify node B's new token: %v", n.issuer, err)
		}
	}
}

// TestKeyRotationUnderLoadAcrossThreeNodes: clients ask any of three nodes for tokens and verify
// each with the JWKS of any node, fetched after the token, while the keys are rotated every
// 300 ms through random nodes: no token may name a key the JWKS it is checked against lacks.
func TestKeyRotationUnderLoadAcrossThreeNodes(t *testing.T) {
	nodes := startPostgresNodes(t, 3)
	// Five rotations, or as many as a loaded machine manages in 20 s.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	rotators := make([]*mgmtClient, len(nodes))
	for i, n := range nodes {
		rotators[i] = newMgmtClient(t, n)
	}
	secret := nodes[0].tenant.M2MApp.ClientSecret
	var (
		verified, failed atomic.Int64
		mu               sync.Mutex
		kids             = map[string]bool{}
		firstErr         error
	)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 19))
			for ctx.Err() == nil {
				raw, err := ccToken(context.Background(), nodes[r.IntN(len(nodes))], secret)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					firstErr = cmpErr(firstErr, fmt.Errorf("token: %w", err))
					mu.Unlock()
					continue
				}
				body, err := getJWKS(client, nodes[r.IntN(len(nodes))])
				if err == nil {
					err = verifyWithJWKS(raw, body)
				}
				mu.Lock()
				if err != nil {
					failed.Add(1)
					firstErr = cmpErr(firstErr, err)
				} else {
					verified.Add(1)
					kids[tokenKID(raw)] = true
				}
				mu.Unlock()
			}
		}()
	}
	rotations := 0
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			rot := rotators[rotations%len(rotators)]
			req, _ := http.NewRequest("POST", rot.base+"keys/signing/rotate", nil)
			req.Header.Set("Authorization", "Bearer "+rot.bearer)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("rotate: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				if rotations++; rotations == 5 {
					time.Sleep(300 * time.Millisecond) // tokens of the last key too
					cancel()
				}
			}
		}
	}
	wg.Wait()
	t.Logf("%d rotations; %d tokens verified against another fetch of the JWKS, signed by %d keys; %d failures",
		rotations, verified.Load(), len(kids), failed.Load())
	if failed.Load() > 0 {
		t.Fatalf("%d tokens could not be verified; first: %v", failed.Load(), firstErr)
	}
	if rotations < 4 || verified.Load() < 50 || len(kids) < 3 {
		t.Fatalf("too little happened to prove anything: %d rotations, %d tokens, %d keys", rotations, verified.Load(), len(kids))
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func getJWKS(c *http.Client, n *node) ([]byte, error) {
	resp, err := c.Get(n.issuer + ".well-known/jwks.json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS: status %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

func fetchJWKS(t *testing.T, c *http.Client, n *node) []byte {
	t.Helper()
	b, err := getJWKS(c, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tokenKID(raw string) string {
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		return ""
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// verifyWithJWKS checks raw's signature with the key its kid names in the JWK Set body, as a
// resource server does.
func verifyWithJWKS(raw string, body []byte) error {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("parse JWKS: %w", err)
	}
	kid := tokenKID(raw)
	keys := set.Key(kid)
	if len(keys) == 0 {
		return fmt.Errorf("the JWKS has no key %q", kid)
	}
	_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return keys[0].Key, nil },
		jwt.WithValidMethods([]string{keys[0].Algorithm}))
	if err != nil {
		return fmt.Errorf("verify with key %q: %w", kid, err)
	}
	return nil
}
