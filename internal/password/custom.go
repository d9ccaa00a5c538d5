package password

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"
)

// CustomHash is Auth0's bulk-import custom_password_hash: a hash made by another system, in one of
// the algorithms Auth0 documents. It is verified as it is at the first sign-in and then replaced
// by an argon2id hash (Verify reports needsRehash).
type CustomHash struct {
	Algorithm string `json:"algorithm"`
	Hash      struct {
		Value    string `json:"value"`
		Encoding string `json:"encoding,omitempty"` // base64 | hex | utf8
	} `json:"hash"`
	Salt *struct {
		Value    string `json:"value"`
		Encoding string `json:"encoding,omitempty"` // base64 | hex | utf8 (the default)
		Position string `json:"position,omitempty"` // prefix | suffix
	} `json:"salt,omitempty"`
	Password *struct {
		Encoding string `json:"encoding,omitempty"` // utf8 (the default) | latin1 | ascii
	} `json:"password,omitempty"`
}

// customPrefix marks a stored hash as a CustomHash in JSON. It is not a PHC identifier any hasher
// writes, so it cannot be mistaken for one.
const customPrefix = "$auth0-custom$"

// ErrUnknownHash is returned for a hash whose algorithm or format Gatehouse cannot verify.
var ErrUnknownHash = errors.New("password: unknown hash format")

// ImportHash checks a bcrypt password_hash as Auth0's bulk import and POST /users take it, and
// returns it as stored.
func ImportHash(h string) (string, error) {
	if !isBcrypt(h) {
		return "", fmt.Errorf("%w: password_hash must be a bcrypt hash ($2a$, $2b$ or $2y$)", ErrUnknownHash)
	}
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return "", fmt.Errorf("%w: password_hash is not a valid bcrypt hash", ErrUnknownHash)
	}
	return h, nil
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// ImportCustom validates a custom_password_hash and returns the string stored as the user's
// password hash. Every error names what is wrong, for the import's per-row errors.
func ImportCustom(raw json.RawMessage) (string, error) {
	var c CustomHash
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return "", fmt.Errorf("%w: custom_password_hash: %v", ErrUnknownHash, err)
	}
	if err := c.validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return customPrefix + string(b), nil
}

func (c *CustomHash) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: custom_password_hash: %s", ErrUnknownHash, fmt.Sprintf(f, a...))
	}
	if c.Hash.Value == "" {
		return bad("hash.value is required")
	}
	if c.Password != nil {
		switch c.Password.Encoding {
		case "", "utf8", "ascii", "latin1", "binary":
		default:
			return bad("password.encoding %q is not supported (utf8, ascii, latin1, binary)", c.Password.Encoding)
		}
	}
	switch c.Algorithm {
	case "bcrypt", "argon2", "pbkdf2", "ldap":
		if c.Hash.Encoding != "" && c.Hash.Encoding != "utf8" {
			return bad("hash.encoding must be utf8 for %s", c.Algorithm)
		}
		if c.Salt != nil {
			return bad("salt is not allowed for %s: it is part of hash.value", c.Algorithm)
		}
	case "md5", "sha1", "sha256", "sha512":
		switch c.Hash.Encoding {
		case "base64", "hex":
		default:
			return bad("hash.encoding must be base64 or hex for %s", c.Algorithm)
		}
		if c.Salt != nil {
			switch c.Salt.Position {
			case "prefix", "suffix":
			default:
				return bad("salt.position must be prefix or suffix")
			}
			if _, err := decodeEnc(c.Salt.Value, c.Salt.Encoding, "utf8"); err != nil {
				return bad("salt.value: %v", err)
			}
		}
		if _, err := decodeEnc(c.Hash.Value, c.Hash.Encoding, ""); err != nil {
			return bad("hash.value: %v", err)
		}
		return nil
	default:
		return bad("algorithm %q is not supported (argon2, bcrypt, ldap, md5, pbkdf2, sha1, sha256, sha512)", c.Algorithm)
	}
	var err error
	switch c.Algorithm {
	case "bcrypt":
		if _, err = bcrypt.Cost([]byte(c.Hash.Value)); err != nil || !isBcrypt(c.Hash.Value) {
			return bad("hash.value is not a bcrypt hash")
		}
	case "argon2":
		_, _, _, _, err = decodeArgon2Any(c.Hash.Value)
	case "pbkdf2":
		_, _, _, _, err = decodePBKDF2(c.Hash.Value)
	case "ldap":
		_, _, _, err = decodeLDAP(c.Hash.Value)
	}
	if err != nil {
		return bad("%v", err)
	}
	return nil
}

// verifyCustom checks pw against a stored custom hash.
func verifyCustom(stored, pw string) error {
	var c CustomHash
	if err := json.Unmarshal([]byte(strings.TrimPrefix(stored, customPrefix)), &c); err != nil {
		return ErrUnknownHash
	}
	if err := c.validate(); err != nil {
		return err
	}
	p := []byte(pw)
	if c.Password != nil && (c.Password.Encoding == "latin1" || c.Password.Encoding == "binary") {
		p = toLatin1(pw)
	}
	var ok bool
	switch c.Algorithm {
	case "bcrypt":
		ok = bcrypt.CompareHashAndPassword([]byte(c.Hash.Value), p) == nil
	case "argon2":
		variant, v, salt, key, _ := decodeArgon2Any(c.Hash.Value)
		var got []byte
		if variant == "argon2i" {
			got = argon2.Key(p, salt, v.Time, v.Memory, v.Threads, uint32(len(key)))
		} else {
			got = argon2.IDKey(p, salt, v.Time, v.Memory, v.Threads, uint32(len(key)))
		}
		ok = subtle.ConstantTimeCompare(got, key) == 1
	case "pbkdf2":
		newHash, iter, salt, key, _ := decodePBKDF2(c.Hash.Value)
		ok = subtle.ConstantTimeCompare(pbkdf2.Key(p, salt, iter, len(key), newHash), key) == 1
	case "ldap":
		newHash, salt, digest, _ := decodeLDAP(c.Hash.Value)
		h := newHash()
		h.Write(p)
		h.Write(salt)
		ok = subtle.ConstantTimeCompare(h.Sum(nil), digest) == 1
	default: // md5, sha1, sha256, sha512
		want, _ := decodeEnc(c.Hash.Value, c.Hash.Encoding, "")
		var salt []byte
		if c.Salt != nil {
			salt, _ = decodeEnc(c.Salt.Value, c.Salt.Encoding, "utf8")
		}
		h := digests[c.Algorithm]()
		if c.Salt != nil && c.Salt.Position == "prefix" {
			h.Write(salt)
		}
		h.Write(p)
		if c.Salt != nil && c.Salt.Position == "suffix" {
			h.Write(salt)
		}
		ok = subtle.ConstantTimeCompare(h.Sum(nil), want) == 1
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

var digests = map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}

func toLatin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		out = append(out, byte(r))
	}
	return out
}

func decodeEnc(v, enc, def string) ([]byte, error) {
	if enc == "" {
		enc = def
	}
	switch enc {
	case "utf8":
		return []byte(v), nil
	case "hex":
		return hex.DecodeString(v)
	case "base64":
		if b, err := base64.StdEncoding.DecodeString(v); err == nil {
			return b, nil
		}
		return base64.RawStdEncoding.DecodeString(v)
	}
	return nil, fmt.Errorf("encoding %q is not supported (base64, hex, utf8)", enc)
}

// decodeArgon2Any reads an argon2i or argon2id PHC string.
func decodeArgon2Any(s string) (string, Params, []byte, []byte, error) {
	variant, rest, ok := strings.Cut(strings.TrimPrefix(s, "$"), "$")
	if !ok || (variant != "argon2i" && variant != "argon2id") {
		return "", Params{}, nil, nil, errors.New("hash.value is not an argon2i or argon2id PHC string")
	}
	p, salt, key, err := decodeArgon2("$argon2id$" + rest)
	return variant, p, salt, key, err
}

// decodePBKDF2 reads $pbkdf2-sha1|sha256|sha512$i=N,l=L$salt$key (PHC, unpadded base64).
func decodePBKDF2(s string) (func() hash.Hash, int, []byte, []byte, error) {
	bad := errors.New("hash.value is not a pbkdf2 PHC string ($pbkdf2-sha256$i=…,l=…$salt$hash)")
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, 0, nil, nil, bad
	}
	newHash, ok := map[string]func() hash.Hash{"pbkdf2-sha1": sha1.New, "pbkdf2-sha256": sha256.New, "pbkdf2-sha512": sha512.New}[parts[1]]
	if !ok {
		return nil, 0, nil, nil, bad
	}
	iter := 0
	for kv := range strings.SplitSeq(parts[2], ",") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "i" {
			iter, _ = strconv.Atoi(v)
		}
	}
	if iter < 1 || iter > 10_000_000 {
		return nil, 0, nil, nil, errors.New("pbkdf2 iterations out of range")
	}
	salt, err1 := decodeB64(parts[3])
	key, err2 := decodeB64(parts[4])
	if err1 != nil || err2 != nil || len(key) < 16 || len(key) > 128 {
		return nil, 0, nil, nil, bad
	}
	return newHash, iter, salt, key, nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(strings.ReplaceAll(s, ".", "+"))
}

// decodeLDAP reads an RFC 2307 userPassword value: {SHA}, {SSHA}, {SHA256}, {SSHA256}, {SHA512},
// {SSHA512}, {MD5}, {SMD5}; the salted forms carry the salt after the digest.
func decodeLDAP(s string) (func() hash.Hash, []byte, []byte, error) {
	scheme, rest, ok := strings.Cut(strings.TrimPrefix(s, "{"), "}")
	if !ok || !strings.HasPrefix(s, "{") {
		return nil, nil, nil, errors.New("hash.value is not an LDAP {SCHEME}value string")
	}
	scheme = strings.ToUpper(scheme)
	salted := strings.HasPrefix(scheme, "S") && scheme != "SHA" && scheme != "SHA256" && scheme != "SHA512"
	name := map[string]string{"SHA": "sha1", "SSHA": "sha1", "SHA256": "sha256", "SSHA256": "sha256",
		"SHA512": "sha512", "SSHA512": "sha512", "MD5": "md5", "SMD5": "md5"}[scheme]
	if name == "" {
		return nil, nil, nil, fmt.Errorf("LDAP scheme {%s} is not supported", scheme)
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, nil, nil, errors.New("LDAP hash value is not base64")
	}
	newHash := digests[name]
	size := newHash().Size()
	if len(raw) < size || (!salted && len(raw) != size) {
		return nil, nil, nil, errors.New("LDAP hash value has the wrong length")
	}
	return newHash, raw[size:], raw[:size], nil
}
