package oauth_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/guard"
)

// typicalPayload is the size and shape of a client-credentials token's claims.
var typicalPayload = []byte(`eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaYWJjZGVmZ2hpamtsIiwidHlwIjoiSldUIn0.` +
	`{"iss":"https://auth.example.test/","sub":"m2mClientId000000000000000000001@clients","aud":"https://api.example.test",` +
	`"iat":1767323045,"exp":1767409445,"scope":"read:a write:a","gty":"client-credentials","azp":"m2mClientId000000000000000000001"}`)

// BenchmarkRawRS256Sign is the floor: one PKCS #1 v1.5 signature over the SHA-256 of a token.
func BenchmarkRawRS256Sign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	key.Precompute()
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		sum := sha256.Sum256(typicalPayload)
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sigs/s")
}

var (
	rawKeyOnce sync.Once
	rawKey     *rsa.PrivateKey
)

func rawSign(b *testing.B) {
	rawKeyOnce.Do(func() {
		var err error
		if rawKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			b.Fatal(err)
		}
		rawKey.Precompute()
	})
	sum := sha256.Sum256(typicalPayload)
	if _, err := rsa.SignPKCS1v15(rand.Reader, rawKey, crypto.SHA256, sum[:]); err != nil {
		b.Fatal(err)
	}
}

// serveBench runs requests built by mk through the real handler in process. On a shared machine the
// load changes between benchmarks, so each iteration also times one raw RS256 signature (outside the
// benchmark timer) and the "x-raw-sign" metric reports the request's cost in raw signatures, measured
// under the same load.
func serveBench(b *testing.B, e *env, unit string, perOp float64, mk func() *http.Request, seen ...func(*httptest.ResponseRecorder)) {
	b.Helper()
	b.ReportAllocs()
	var serve, raw time.Duration
	for b.Loop() {
		b.StopTimer()
		t0 := time.Now()
		rawSign(b)
		raw += time.Since(t0)
		r := mk()
		b.StartTimer()
		t1 := time.Now()
		w := httptest.NewRecorder()
		e.Mux.ServeHTTP(w, r)
		serve += time.Since(t1)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		for _, f := range seen {
			f(w)
		}
	}
	b.ReportMetric(perOp*float64(b.N)/serve.Seconds(), unit)
	b.ReportMetric(float64(serve)/float64(raw), "x-raw-sign")
}

// BenchmarkClientCredentials issues client-credentials tokens through the real HTTP handler with a
// SQLite store and the tenant log on; compare its ns/op with BenchmarkRawRS256Sign.
func BenchmarkClientCredentials(b *testing.B) {
	e := MustEnv(b, envOptions{realNow: true})
	body := form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)
	serveBench(b, e, "tokens/s", 1, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	})
}

// BenchmarkClientCredentialsPerIPLimit is BenchmarkClientCredentials with the per-address limit
// counted as a node counts it by default: a database write per lease of 60 requests (1% of the
// default 6000 a minute; the limit itself is set out of reach).
func BenchmarkClientCredentialsPerIPLimit(b *testing.B) {
	e := MustEnv(b, envOptions{realNow: true, perIP: guard.Limit{Max: 1 << 30, Window: time.Minute, Lease: 60}})
	body := form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)
	serveBench(b, e, "tokens/s", 1, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	})
}

// BenchmarkClientCredentialsNoCache reads client, API and client grant from SQLite on every request:
// what the configuration cache saves.
func BenchmarkClientCredentialsNoCache(b *testing.B) {
	e := MustEnv(b, envOptions{realNow: true, noCache: true})
	body := form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)
	serveBench(b, e, "tokens/s", 1, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	})
}

// BenchmarkClientCredentialsNoLog is BenchmarkClientCredentials without the tenant log, to show
// what the log's database write costs.
func BenchmarkClientCredentialsNoLog(b *testing.B) {
	e := MustEnv(b, envOptions{realNow: true, noAudit: true})
	body := form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)
	serveBench(b, e, "tokens/s", 1, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	})
}

// BenchmarkCodeExchange redeems authorization codes (openid profile email offline_access and an API
// audience): two signatures (access and ID token) plus the code redemption and the new refresh token
// family in the database. Codes are minted outside the timer.
func BenchmarkCodeExchange(b *testing.B) {
	e := MustEnv(b, envOptions{realNow: true})
	serveBench(b, e, "exchanges/s", 1, func() *http.Request {
		code := e.mintCode(b, codeSpec{scope: "openid profile email offline_access read:a", audience: apiID, nonce: "n", verifier: verifier})
		body := form("grant_type", "authorization_code", "code", code, "redirect_uri", webCB, "code_verifier", verifier)
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", basicHeader(webID, webSecret))
		return r
	})
}

// BenchmarkRefresh exchanges a rotating refresh token for new access, ID and refresh tokens, each
// iteration using the token the previous one returned: two signatures plus the atomic rotation.
func BenchmarkRefresh(b *testing.B) {
	e := MustEnv(b, envOptions{realNow: true})
	rt := e.firstTokens(b, webID).body["refresh_token"].(string)
	serveBench(b, e, "refreshes/s", 1, func() *http.Request {
		body := form("grant_type", "refresh_token", "refresh_token", rt)
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", basicHeader(webID, webSecret))
		return r
	}, func(w *httptest.ResponseRecorder) {
		var res struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || res.RefreshToken == "" {
			b.Fatalf("no refresh token: %s", w.Body)
		}
		rt = res.RefreshToken
	})
}

// BenchmarkClientCredentialsC16 is BenchmarkClientCredentials at the load tool's peak: 16 requests
// in flight at once (8 goroutines per CPU on the 2-CPU machine), so the tenant-log writer commits
// batches the way a busy node does. Profile it (-cpuprofile) for the writer's share of the CPU:
// `go tool pprof -top -cum`, `(*logQueue).run` against `(*ServeMux).ServeHTTP`.
func BenchmarkClientCredentialsC16(b *testing.B) { benchC16(b, envOptions{realNow: true}) }

// BenchmarkClientCredentialsC16Postgres is the same on PostgreSQL (skipped without a server).
func BenchmarkClientCredentialsC16Postgres(b *testing.B) {
	benchC16(b, envOptions{realNow: true, postgres: true})
}

func benchC16(b *testing.B, o envOptions) {
	e := MustEnv(b, o)
	body := form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)
	b.ReportAllocs()
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			e.Mux.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("%d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
}
