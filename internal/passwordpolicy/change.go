package passwordpolicy

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
)

// History is where a user's previous password hashes are kept (store.PasswordHistoryStore
// satisfies it).
type History interface {
	ListPasswordHistory(ctx context.Context, userID string, limit int) ([]string, error)
	AddPasswordHistory(ctx context.Context, userID, hash string, at time.Time, keep int) error
}

// CheckChange applies the whole policy to a new password for an existing user u: Check, then, when
// password_history is on, the user's current password and the previous ones History keeps (each
// compared with hasher, as a sign-in would). A nil Violation and error accept the password.
// password.ErrBusy passes through for the caller's 503.
func (p *Policy) CheckChange(ctx context.Context, pw string, u *domain.User, h History, hasher password.Hasher) (*Violation, error) {
	if v := p.Check(pw, u); v != nil {
		return v, nil
	}
	if p.history == 0 {
		return nil, nil
	}
	hashes, err := h.ListPasswordHistory(ctx, u.UserID, p.history)
	if err != nil {
		return nil, err
	}
	if u.PasswordHash != "" && (len(hashes) == 0 || hashes[0] != u.PasswordHash) {
		// Users who set their password before history was on have only their current hash.
		hashes = append([]string{u.PasswordHash}, hashes...)
	}
	return p.CheckHistory(pw, hashes, func(hash, pw string) (bool, error) {
		_, err := hasher.Verify(hash, pw)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, password.ErrBusy):
			return false, err
		}
		return false, nil // a mismatch, or a hash that cannot match anything
	})
}

// Remember records hash as the user's newest password when password_history is on, keeping only as
// many as the policy compares; when it is off it forgets what was kept (old hashes are a liability
// nobody uses). Call it in the transaction that saves the new hash.
func (p *Policy) Remember(ctx context.Context, h History, userID, hash string, at time.Time) error {
	return h.AddPasswordHistory(ctx, userID, hash, at, p.history)
}
