package domain

import (
	"crypto/rand"
	"strings"
	"time"
)

// GrantDeviceCode is the device authorization grant (RFC 8628 §3.4).
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Device authorization defaults (spec §2.4): a device code lives 15 minutes and is polled at most
// every 5 seconds; a poll that comes too early adds 5 seconds to the interval (RFC 8628 §3.5).
const (
	DeviceCodeLifetime = 900 * time.Second
	DeviceInterval     = 5
	DeviceSlowDownStep = 5
	// DevicePollJitter is how much earlier than its interval a poll may arrive and still count as on
	// time: the client waits the interval between sending its requests (RFC 8628 §3.5), but the
	// server sees arrivals, which network and scheduling delays shift.
	DevicePollJitter = time.Second
)

// Device code states.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
)

// DeviceCode is a device authorization request (RFC 8628 §3.2). It is stored by the SHA-256 of the
// device code and found by the SHA-256 of its normalized user code: neither code is kept in clear.
// Once the user approves it, it holds what the tokens will carry; the first poll that finds it
// approved consumes it.
type DeviceCode struct {
	CodeHash     []byte     `json:"-"`
	UserCodeHash []byte     `json:"-"`
	ClientID     string     `json:"client_id"`
	Scope        string     `json:"scope"`
	Audience     string     `json:"audience,omitempty"`
	Status       string     `json:"-"`
	Interval     int        `json:"-"` // seconds
	LastPolledAt *time.Time `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"-"`

	// Set when approved: who, in which session, and the scope and Action claims the sign-in decided.
	UserID        string         `json:"user_id,omitempty"`
	SessionID     string         `json:"session_id,omitempty"`
	AuthTime      time.Time      `json:"auth_time,omitzero"`
	GrantedScope  string         `json:"granted_scope,omitempty"`
	RefreshClaims RefreshContext `json:"claims,omitzero"`
}

// Expired reports whether the device code is past its lifetime at now.
func (d *DeviceCode) Expired(now time.Time) bool { return !now.Before(d.ExpiresAt) }

// userCodeAlphabet has no vowels (no words are spelled) and no letters easily confused with each
// other or with digits; RFC 8628 §6.1 suggests this base-20 set. Eight of them carry 34.6 bits.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// UserCodeLength is the number of letters of a user code, shown as two groups of four.
const UserCodeLength = 8

// NewUserCode returns a random user code such as "WDJB-MJHT".
func NewUserCode() string {
	var b [UserCodeLength]byte
	// Rejection sampling keeps every letter equally likely: 240 is the largest multiple of 20 ≤ 256.
	var buf [1]byte
	for i := 0; i < len(b); {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand)
		if buf[0] >= 240 {
			continue
		}
		b[i] = userCodeAlphabet[int(buf[0])%len(userCodeAlphabet)]
		i++
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// NormalizeUserCode reads a user code as a person may type it (lower case, spaces, dashes) and
// returns its canonical form "XXXX-XXXX", or "" when it cannot be one (RFC 8628 §6.1: compare
// case-insensitively, ignore punctuation).
func NormalizeUserCode(s string) string {
	if len(s) > 32 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case strings.ContainsRune(userCodeAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	c := b.String()
	if len(c) != UserCodeLength {
		return ""
	}
	return c[:4] + "-" + c[4:]
}

// HashUserCode is the stored form of a user code: the SHA-256 of its canonical form.
func HashUserCode(code string) []byte { return HashSecret(NormalizeUserCode(code)) }
