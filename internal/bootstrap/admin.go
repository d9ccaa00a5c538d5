package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Administrator asks for a dashboard user.
type Administrator struct {
	Email string
	Name  string // defaults to the email
	// PasswordHash is the caller's hash of a password that passed domain.ValidatePassword.
	PasswordHash string
	// ReadOnly gives the Dashboard Read-only role instead of Dashboard Admin.
	ReadOnly bool
}

// AdministratorResult says what CreateAdministrator did.
type AdministratorResult struct {
	UserID string
	Role   string
	// Existed: a user with that email was already in the database connection; it was given the
	// role and keeps its password and profile.
	Existed bool
}

// CreateAdministrator makes sure the dashboard roles exist and that a user with a.Email in the
// database connection holds the asked role, creating the user when missing. Running it again with
// the same email changes nothing further: an existing user is never given a new password here, so
// that a mistyped command cannot take over an account by resetting it.
func CreateAdministrator(ctx context.Context, st store.Store, o Options, a Administrator) (AdministratorResult, error) {
	email := strings.TrimSpace(a.Email)
	if email == "" {
		return AdministratorResult{}, domain.Invalidf("email", "an email address is required")
	}
	var res AdministratorResult
	err := st.WithTx(ctx, func(tx store.Store) error {
		roles, err := EnsureDashboardRoles(ctx, tx, o)
		if err != nil {
			return err
		}
		roleID, roleName := roles.Admin, AdminRole
		if a.ReadOnly {
			roleID, roleName = roles.ReadOnly, ReadOnlyRole
		}
		u, err := tx.GetUserByEmail(ctx, domain.DefaultConnection, email)
		switch {
		case err == nil:
			res.Existed = true
		case errors.Is(err, store.ErrNotFound):
			if u, err = newUser(o, email, a); err != nil {
				return err
			}
			if err := tx.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("create the user: %w", err)
			}
		default:
			return fmt.Errorf("look up %s: %w", email, err)
		}
		if err := tx.AssignRolesToUser(ctx, u.UserID, []string{roleID}); err != nil {
			return fmt.Errorf("give %s the role %q: %w", email, roleName, err)
		}
		res.UserID, res.Role = u.UserID, roleName
		return nil
	})
	if err != nil {
		return AdministratorResult{}, err
	}
	return res, nil
}

func newUser(o Options, email string, a Administrator) (*domain.User, error) {
	if a.PasswordHash == "" {
		return nil, domain.Invalidf("password", "a password is required for a new user")
	}
	name := strings.TrimSpace(a.Name)
	if name == "" {
		name = email
	}
	now := o.now()
	// The address is the operator's own, typed on the server: it counts as verified, as an account
	// created in the Auth0 dashboard may be.
	u := &domain.User{UserID: domain.NewUserID(), Email: email, EmailVerified: true, Name: name,
		PasswordHash: a.PasswordHash, CreatedAt: now, UpdatedAt: now}
	domain.ApplyUserDefaults(u)
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}
