package password_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"

	"github.com/gatehouse/gatehouse/internal/password"
)

// CustomFixtures returns, for a known password, one custom_password_hash per algorithm Auth0
// documents, each made here with the algorithm itself.
func customFixtures(t testing.TB, pw string) map[string]string {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString
	raw := base64.RawStdEncoding.EncodeToString
	salt := []byte("pepper-salt-16by")
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	if err != nil {
		t.Fatal(err)
	}
	a2id := argon2.IDKey([]byte(pw), salt, 2, 1024, 1, 32)
	a2i := argon2.Key([]byte(pw), salt, 2, 1024, 1, 32)
	pb := pbkdf2.Key([]byte(pw), salt, 1000, 32, sha256.New)
	s1 := sha1.Sum(append([]byte(pw), salt...))
	ssha := b64(append(s1[:], salt...))
	md := md5.Sum(append(append([]byte{}, salt...), pw...))
	s256 := sha256.Sum256(append(append([]byte{}, salt...), pw...))
	s512 := sha512.Sum512(append([]byte(pw), salt...))
	plain1 := sha1.Sum([]byte(pw))
	return map[string]string{
		"bcrypt":    fmt.Sprintf(`{"algorithm":"bcrypt","hash":{"value":%q}}`, bc),
		"argon2id":  fmt.Sprintf(`{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=1024,t=2,p=1$%s$%s","encoding":"utf8"}}`, raw(salt), raw(a2id)),
		"argon2i":   fmt.Sprintf(`{"algorithm":"argon2","hash":{"value":"$argon2i$v=19$m=1024,t=2,p=1$%s$%s"}}`, raw(salt), raw(a2i)),
		"pbkdf2":    fmt.Sprintf(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1000,l=32$%s$%s","encoding":"utf8"}}`, raw(salt), raw(pb)),
		"ldap-ssha": fmt.Sprintf(`{"algorithm":"ldap","hash":{"value":"{SSHA}%s"}}`, ssha),
		"md5":       fmt.Sprintf(`{"algorithm":"md5","hash":{"value":%q,"encoding":"hex"},"salt":{"value":%q,"position":"prefix"}}`, hex.EncodeToString(md[:]), salt),
		"sha1":      fmt.Sprintf(`{"algorithm":"sha1","hash":{"value":%q,"encoding":"base64"}}`, b64(plain1[:])),
		"sha256":    fmt.Sprintf(`{"algorithm":"sha256","hash":{"value":%q,"encoding":"base64"},"salt":{"value":%q,"encoding":"base64","position":"prefix"}}`, b64(s256[:]), b64(salt)),
		"sha512":    fmt.Sprintf(`{"algorithm":"sha512","hash":{"value":%q,"encoding":"hex"},"salt":{"value":%q,"encoding":"hex","position":"suffix"}}`, hex.EncodeToString(s512[:]), hex.EncodeToString(salt)),
	}
}

// TestCustomHashesVerifyAndAskForRehash: every documented algorithm verifies its own password,
// refuses another, and asks for an argon2id rehash on success.
func TestCustomHashesVerifyAndAskForRehash(t *testing.T) {
	h := password.Hasher{P: password.Fast()}
	for kind, doc := range customFixtures(t, "Imported-Pass-1") {
		stored, err := password.ImportCustom(json.RawMessage(doc))
		if err != nil {
			t.Fatalf("%s: import: %v", kind, err)
		}
		rehash, err := h.Verify(stored, "Imported-Pass-1")
		if err != nil || !rehash {
			t.Errorf("%s: right password: rehash=%v err=%v, want true, nil", kind, rehash, err)
		}
		if _, err := h.Verify(stored, "Imported-Pass-2"); !errors.Is(err, password.ErrMismatch) {
			t.Errorf("%s: wrong password: %v, want ErrMismatch", kind, err)
		}
	}
}

// TestImportRefusesUnknownHashes: unknown algorithms, malformed values and salts where none belong
// are refused with an error naming the problem.
func TestImportRefusesUnknownHashes(t *testing.T) {
	for doc, want := range map[string]string{
		`{"algorithm":"scrypt","hash":{"value":"x"}}`:                                          `algorithm "scrypt" is not supported`,
		`{"algorithm":"sha256","hash":{"value":"zz","encoding":"hex"}}`:                        "hash.value",
		`{"algorithm":"sha256","hash":{"value":"YQ==","encoding":"utf16"}}`:                    "base64 or hex",
		`{"algorithm":"bcrypt","hash":{"value":"$2b$nope"}}`:                                   "not a bcrypt hash",
		`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-md4$i=1,l=1$a$b"}}`:                    "pbkdf2",
		`{"algorithm":"ldap","hash":{"value":"{CRYPT}abc"}}`:                                   "{CRYPT}",
		`{"algorithm":"argon2","hash":{"value":"$argon2d$v=19$m=1,t=1,p=1$a$b"}}`:              "argon2i or argon2id",
		`{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s"}}`:      "salt.position",
		`{"algorithm":"bcrypt","hash":{"value":"x"},"salt":{"value":"s","position":"prefix"}}`: "salt is not allowed",
		`{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"rounds":3}`:                "unknown field",
	} {
		_, err := password.ImportCustom(json.RawMessage(doc))
		if !errors.Is(err, password.ErrUnknownHash) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrUnknownHash mentioning %q", doc, err, want)
		}
	}
	if _, err := password.ImportHash("$1$md5crypt"); !errors.Is(err, password.ErrUnknownHash) {
		t.Errorf("password_hash md5crypt: %v", err)
	}
	bc, _ := bcrypt.GenerateFromPassword([]byte("x"), 4)
	if got, err := password.ImportHash(string(bc)); err != nil || got != string(bc) {
		t.Errorf("password_hash bcrypt: %q %v", got, err)
	}
	if _, err := (password.Hasher{P: password.Fast()}).Verify("$md5$abc", "x"); !errors.Is(err, password.ErrUnknownHash) {
		t.Errorf("verify unknown: %v", err)
	}
}
