package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// claims is the size and shape of a client-credentials token's signing input.
var claims = []byte(`eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaYWJjZGVmZ2hpamtsIiwidHlwIjoiSldUIn0.` +
	`{"iss":"https://auth.example.test/","sub":"m2mClientId000000000000000000001@clients","aud":"https://api.example.test",` +
	`"iat":1767323045,"exp":1767409445,"scope":"read:a write:a","gty":"client-credentials","azp":"m2mClientId000000000000000000001"}`)

// rawSignRate is how many RS256 (2048-bit) signatures a second workers goroutines make together
// during d: the floor a token endpoint cannot beat on this machine.
func rawSignRate(ctx context.Context, d time.Duration, workers int) float64 {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil || d <= 0 {
		return 0
	}
	key.Precompute()
	sum := sha256.Sum256(claims)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		n  atomic.Int64
		wg sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
