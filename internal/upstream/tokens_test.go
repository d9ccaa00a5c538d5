package upstream_test

import (
	"bytes"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

func TestTokensSealedPerIdentity(t *testing.T) {
	s, err := upstream.NewTokens(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	in := domain.IdPTokens{AccessToken: "gho_access", RefreshToken: "ghr_refresh", ExpiresIn: 3600}
	sealed, err := s.Seal("github|42", in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("gho_access")) || bytes.Contains(sealed, []byte("ghr_refresh")) {
		t.Fatal("a sealed token is readable")
	}
	out, err := s.Open("github|42", sealed)
	if err != nil || out != in {
		t.Fatalf("Open = %+v, %v; want %+v", out, err, in)
	}
	if _, err := s.Open("github|43", sealed); err == nil {
		t.Fatal("tokens sealed for one identity opened for another")
	}
	other, _ := upstream.NewTokens(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open("github|42", sealed); err == nil {
		t.Fatal("tokens opened with another master key")
	}
	if none, err := s.Seal("github|42", domain.IdPTokens{}); none != nil || err != nil {
		t.Fatalf("Seal of no tokens = %v, %v; want nothing kept", none, err)
	}
}
