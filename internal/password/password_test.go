package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/password"
	"golang.org/x/crypto/bcrypt"
)

func TestHashVerify(t *testing.T) {
	h := password.Hasher{P: password.Fast()}
	hash, err := h.Hash("Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected hash format %q", hash)
	}
	if again, _ := h.Hash("Correct-Horse-1"); again == hash {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	if rehash, err := h.Verify(hash, "Correct-Horse-1"); err != nil || rehash {
		t.Fatalf("Verify(right) = %v, %v; want false, nil", rehash, err)
	}
	if _, err := h.Verify(hash, "correct-horse-1"); !errors.Is(err, password.ErrMismatch) {
		t.Fatalf("Verify(wrong) = %v; want ErrMismatch", err)
	}
	stronger := password.Hasher{P: password.Params{Memory: 2048, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}}
	if rehash, err := stronger.Verify(hash, "Correct-Horse-1"); err != nil || !rehash {
		t.Fatalf("weaker hash under stronger params: rehash=%v err=%v; want true, nil", rehash, err)
	}
}

func TestBcryptImportedHashNeedsRehash(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("Imported-Pass-9"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := password.Hasher{P: password.Fast()}
	if rehash, err := h.Verify(string(b), "Imported-Pass-9"); err != nil || !rehash {
		t.Fatalf("bcrypt verify = %v, %v; want true, nil", rehash, err)
	}
	if _, err := h.Verify(string(b), "nope"); !errors.Is(err, password.ErrMismatch) {
		t.Fatalf("bcrypt wrong password = %v", err)
	}
}

func TestMalformedHashes(t *testing.T) {
	h := password.Hasher{P: password.Fast()}
	for _, s := range []string{"", "plain", "$argon2id$v=19$m=1024$x$y", "$argon2id$v=18$m=1024,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := h.Verify(s, "x"); err == nil || errors.Is(err, password.ErrMismatch) {
			t.Errorf("Verify(%q) = %v; want a format error", s, err)
		}
	}
}
