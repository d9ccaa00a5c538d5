package token_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

// BenchmarkAccessTokenByAlg signs a client-credentials access token with each algorithm an API may
// choose. Each iteration also times one raw RS256 signature outside the timer, under the same load:
// x-raw-sign is a token's cost in raw RS256 signatures, the figure that survives a shared machine.
//
//	go test -run x -bench AccessTokenByAlg -count 3 ./internal/token/
func BenchmarkAccessTokenByAlg(b *testing.B) {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	raw.Precompute()
	digest := sha256.Sum256([]byte("header.payload"))
	sealer, err := keys.NewSecretSealer(master)
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range []string{keys.RS256, keys.PS256, keys.ES256, keys.HS256} {
		b.Run(alg, func(b *testing.B) {
			iss, m, _ := MustIssuer(b)
			ctx := context.Background()
			rs := api(domain.DialectAccessToken, false)
			rs.SigningAlg = alg
			if alg == keys.HS256 {
				// The secret is unsealed per token, as at the token endpoint: that cost is counted.
				if rs.SigningSecretSealed, err = sealer.Seal(rs.ID, domain.NewSigningSecret()); err != nil {
					b.Fatal(err)
				}
			} else if _, err := m.Current(ctx, alg); err != nil {
				b.Fatal(err)
			}
			p := token.AccessTokenParams{Subject: "c@clients", ClientID: "c", API: rs, Scope: "read:a write:a",
				GrantType: token.GTYClientCredentials}
			b.ReportAllocs()
			var signed, rawTime time.Duration
			for b.Loop() {
				b.StopTimer()
				t0 := time.Now()
				if _, err := rsa.SignPKCS1v15(rand.Reader, raw, crypto.SHA256, digest[:]); err != nil {
					b.Fatal(err)
				}
				rawTime += time.Since(t0)
				b.StartTimer()
				t1 := time.Now()
				if _, err := iss.AccessToken(ctx, p); err != nil {
					b.Fatal(err)
				}
				signed += time.Since(t1)
			}
			b.ReportMetric(float64(b.N)/signed.Seconds(), "tokens/s")
			b.ReportMetric(float64(signed)/float64(rawTime), "x-raw-sign")
		})
	}
}
