package mfa

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/store"
)

// PurposeTOTPSecret labels the key derived from the master key for TOTP secrets.
const PurposeTOTPSecret = "gatehouse/mfa/totp-secret/v1"

const (
	sealedVersion = 1
	period        = 30
	secretSize    = 20 // 160 bits, RFC 4226 §4's recommendation
	// recoveryAlphabet has no 0/O or 1/I: a code is read off paper.
	recoveryAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	recoveryLength   = 24 // 120 bits
)

var validate = totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Service enrolls and checks second factors.
type Service struct {
	store store.MFAStore
	aead  cipher.AEAD
	now   func() time.Time
}

// New derives the sealing key from the master key.
func New(st store.MFAStore, masterKey []byte, now func() time.Time) (*Service, error) {
	aead, err := keys.NewAEAD(masterKey, PurposeTOTPSecret)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, aead: aead, now: now}, nil
}

// Enrollment is what the enrollment page shows of a pending TOTP authenticator.
type Enrollment struct {
	AuthenticatorID string
	// Secret is the base32 key a user types into an app that cannot scan.
	Secret string
	// URI is the otpauth:// URI (the QR code's content; a link on a phone).
	URI string
	// QRCode is a data: URL of a PNG of the URI.
	QRCode string
}

// Factors is what a user has enrolled.
type Factors struct {
	TOTP         bool // a confirmed TOTP authenticator
	RecoveryCode bool
	Email        bool // a confirmed email authenticator
}

// Any reports whether the user can answer a second factor.
func (f Factors) Any() bool { return f.TOTP || f.RecoveryCode || f.Email }

// Enrolled lists the user's confirmed factors.
func (s *Service) Enrolled(ctx context.Context, userID string) (Factors, error) {
	list, err := s.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return Factors{}, err
	}
	var f Factors
	for _, a := range list {
		switch {
		case a.Type == domain.MethodTOTP && a.Confirmed:
			f.TOTP = true
		case a.Type == domain.MethodRecoveryCode:
			f.RecoveryCode = true
		case a.Type == domain.MethodEmail && a.Confirmed:
			f.Email = true
		}
	}
	return f, nil
}

// PendingTOTP returns the user's unconfirmed TOTP enrollment, creating one when there is none, so
// that reloading the page shows the key the user may already have scanned. issuer and account
// label the entry in the app.
func (s *Service) PendingTOTP(ctx context.Context, userID, issuer, account string) (*Enrollment, error) {
	list, err := s.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, a := range slices.Backward(list) {
		if a.Type == domain.MethodTOTP && !a.Confirmed {
			secret, err := s.open(a)
			if err != nil {
				return nil, err
			}
			return enrollment(a.ID, secret, issuer, account)
		}
	}
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	a := &domain.MFAAuthenticator{ID: "totp|dev_" + domain.RandomToken(12), UserID: userID, Type: domain.MethodTOTP, CreatedAt: s.now().UTC()}
	if a.Secret, err = s.seal(a, secret); err != nil {
		return nil, err
	}
	if err := s.store.CreateMFAAuthenticator(ctx, a); err != nil {
		return nil, err
	}
	return enrollment(a.ID, secret, issuer, account)
}

func enrollment(id string, secret []byte, issuer, account string) (*Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: period, Secret: secret, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: totp key: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("mfa: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("mfa: qr code: %w", err)
	}
	return &Enrollment{
		AuthenticatorID: id, Secret: key.Secret(), URI: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// Outcome is the verdict on a code.
type Outcome int

const (
	// Wrong: no authenticator's code of an accepted step.
	Wrong Outcome = iota
	// Accepted: the code was right and its step is now used.
	Accepted
	// Replayed: the code was right but its step (or a later one) was already used.
	Replayed
)

// VerifyTOTP checks code against the user's TOTP authenticators: confirmed ones, or, with
// enrolling, the pending one (which an accepted code confirms). A code of the current step or
// the one before or after is accepted once.
func (s *Service) VerifyTOTP(ctx context.Context, userID, code string, enrolling bool) (Outcome, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return Wrong, nil
	}
	list, err := s.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return Wrong, err
	}
	now := s.now()
	current := now.Unix() / period
	result := Wrong
	for _, a := range list {
		if a.Type != domain.MethodTOTP || a.Confirmed == enrolling {
			continue
		}
		secret, err := s.open(a)
		if err != nil {
			return Wrong, err
		}
		b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
		// Every step is computed and compared, so the time taken does not tell which matched.
		matched := int64(-1)
		for step := current - 1; step <= current+1; step++ {
			want, err := totp.GenerateCodeCustom(b32, time.Unix(step*period, 0), validate)
			if err != nil {
				return Wrong, fmt.Errorf("mfa: totp: %w", err)
			}
			if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && matched < 0 {
				matched = step
			}
		}
		if matched < 0 {
			continue
		}
		ok, err := s.store.UseTOTPStep(ctx, a.ID, matched, now.UTC())
		if err != nil {
			return Wrong, err
		}
		if ok {
			return Accepted, nil
		}
		result = Replayed
	}
	return result, nil
}

// NewRecoveryCode replaces the user's recovery code with a new one and returns it, to be shown once.
func (s *Service) NewRecoveryCode(ctx context.Context, userID string) (string, error) {
	if err := s.deleteRecoveryCodes(ctx, userID); err != nil {
		return "", err
	}
	b := make([]byte, recoveryLength)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = recoveryAlphabet[int(b[i])%len(recoveryAlphabet)] // 256 is a multiple of 32: no bias
	}
	code := string(b)
	a := &domain.MFAAuthenticator{
		ID: "recovery-code|dev_" + domain.RandomToken(12), UserID: userID, Type: domain.MethodRecoveryCode,
		Secret: domain.HashSecret(code), Confirmed: true, CreatedAt: s.now().UTC(),
	}
	if err := s.store.CreateMFAAuthenticator(ctx, a); err != nil {
		return "", err
	}
	return code, nil
}

func (s *Service) deleteRecoveryCodes(ctx context.Context, userID string) error {
	list, err := s.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.Type == domain.MethodRecoveryCode {
			if err := s.store.DeleteMFAAuthenticator(ctx, userID, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// NormalizeRecoveryCode drops spaces and dashes and upper-cases what the user typed.
func NormalizeRecoveryCode(typed string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, typed)
}

// UseRecoveryCode spends the user's recovery code when typed is it, and reports whether it did.
func (s *Service) UseRecoveryCode(ctx context.Context, userID, typed string) (bool, error) {
	hash := domain.HashSecret(NormalizeRecoveryCode(typed))
	list, err := s.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, a := range list {
		if a.Type == domain.MethodRecoveryCode && subtle.ConstantTimeCompare(a.Secret, hash) == 1 {
			return s.store.UseRecoveryCode(ctx, userID, a.ID)
		}
	}
	return false, nil
}

func aad(a *domain.MFAAuthenticator) []byte {
	return []byte("gatehouse totp secret\x00" + a.UserID + "\x00" + a.ID)
}

func (s *Service) seal(a *domain.MFAAuthenticator, secret []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(secret)+s.aead.Overhead())
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:1+n], secret, aad(a)), nil
}

func (s *Service) open(a *domain.MFAAuthenticator) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(a.Secret) < 1+n+s.aead.Overhead() || a.Secret[0] != sealedVersion {
		return nil, errors.New("mfa: a stored TOTP secret has an unknown format")
	}
	pt, err := s.aead.Open(nil, a.Secret[1:1+n], a.Secret[1+n:], aad(a))
	if err != nil {
		return nil, errors.New("mfa: a stored TOTP secret does not decrypt with this master key")
	}
	return pt, nil
}
