package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// Default follows RFC 9106 §4's second recommended option (64 MiB, 3 passes), trimmed to 2 lanes for
// small servers: about 50 ms per hash on one core. A Hasher with zero Params uses it.
func Default() Params { return Params{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32, SaltLen: 16} }

// Fast is for tests only: the same algorithm at a cost that keeps suites quick.
func Fast() Params { return Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16} }

// ErrMismatch is returned when the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// Hasher hashes with fixed parameters. With a Gate, every computation (Hash, Verify, Dummy) runs
// within its memory budget or fails with ErrBusy.
type Hasher struct {
	P    Params
	Gate *Gate
}

// Hash returns a PHC-formatted argon2id hash of pw.
func (h Hasher) Hash(pw string) (string, error) {
	p := h.P
	if p.Memory == 0 {
		p = Default()
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	release, err := h.Gate.acquire(context.Background())
	if err != nil {
		return "", err
	}
	defer release()
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify checks pw against a stored hash (argon2id, bcrypt, or an imported custom hash). needsRehash is true when the password
// matched but the hash should be replaced with a fresh one at h's parameters.
func (h Hasher) Verify(stored, pw string) (needsRehash bool, err error) {
	release, err := h.Gate.acquire(context.Background())
	if err != nil {
		return false, err
	}
	defer release()
	switch {
	case strings.HasPrefix(stored, "$argon2id$"):
		p, salt, key, err := decodeArgon2(stored)
		if err != nil {
			return false, err
		}
		got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		if subtle.ConstantTimeCompare(got, key) != 1 {
			return false, ErrMismatch
		}
		want := h.P
		if want.Memory == 0 {
			want = Default()
		}
		return p.Memory < want.Memory || p.Time < want.Time, nil
	case strings.HasPrefix(stored, "$2a$"), strings.HasPrefix(stored, "$2b$"), strings.HasPrefix(stored, "$2y$"):
		if err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(pw)); err != nil {
			return false, ErrMismatch
		}
		return true, nil
	case strings.HasPrefix(stored, customPrefix):
		if err := verifyCustom(stored, pw); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, ErrUnknownHash
}

// Dummy runs one verification against a fixed hash, so that a sign-in for an unknown user costs the
// same time as one for a known user (no user enumeration by timing). Its only error is ErrBusy, as
// Verify would have returned for a known user.
func (h Hasher) Dummy(pw string) error {
	if _, err := h.Verify(h.dummyHash(), pw); errors.Is(err, ErrBusy) {
		return err
	}
	return nil
}

func (h Hasher) dummyHash() string {
	p := h.P
	if p.Memory == 0 {
		p = Default()
	}
	// A fixed salt and key of the right sizes; the result of the comparison is discarded.
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(make([]byte, p.SaltLen)), base64.RawStdEncoding.EncodeToString(make([]byte, p.KeyLen)))
}

func decodeArgon2(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return p, nil, nil, errors.New("password: malformed argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errors.New("password: malformed argon2id parameters")
	}
	if p.Memory == 0 || p.Memory > 1<<22 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return p, nil, nil, errors.New("password: argon2id parameters out of range")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("password: malformed argon2id hash")
	}
	return p, salt, key, nil
}
