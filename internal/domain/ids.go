package domain

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"time"
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from [A-Za-z0-9] (rejection sampling, no modulo bias).
func randomAlnum(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms (Go ≥ 1.24)
		for _, b := range buf {
			if b < 248 { // 248 = 4*62: keeps the draw uniform
				out = append(out, alnum[b%62])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RandomToken returns a URL-safe string carrying nBytes of entropy: codes, refresh tokens, secrets,
// session and transaction identifiers.
func RandomToken(nBytes int) string {
	b := make([]byte, nBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Identifier formats, as Auth0 shapes them (spec §3).
func NewClientID() string         { return randomAlnum(32) }
func NewClientSecret() string     { return randomAlnum(64) }
func NewResourceServerID() string { return randomHex(12) }
func NewClientGrantID() string    { return "cgr_" + randomAlnum(16) }
func NewRoleID() string           { return "rol_" + randomAlnum(16) }
func NewUserID() string           { return "auth0|" + randomHex(12) }
func NewActionID() string         { return newUUID() }
func NewConnectionID() string     { return "con_" + randomAlnum(16) }
func NewBindingID() string        { return newUUID() }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// NewLogID returns a tenant log event id: 56 hex digits, the first 12 the time in milliseconds,
// the rest random. Ids of events written together sort together, so a batch adds to one end of
// the log's unique index (a page or two) instead of to a random page per event, which is most of
// what a batch's commit writes.
func NewLogID() string {
	var b [28]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}
