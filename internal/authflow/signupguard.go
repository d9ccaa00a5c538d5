package authflow

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// signupRefusal is why attack protection refused a signup: the status, the message for the user and,
// for a throttled address, the seconds to wait. Each signup answers it on its own transport (the
// hosted page, /dbconnections/signup's JSON).
type signupRefusal struct {
	status     int
	message    string
	code       string // /dbconnections/signup's error code
	retryAfter int
}

// signupAttackChecks applies attack protection to a signup, the same for the hosted page and
// auth0-js's /dbconnections/signup, before the password is hashed: suspicious IP throttling counts
// every attempt from the address (stage pre-user-registration), and a breached password is refused
// when breached password detection blocks at sign-up. Both fail open (logged), as at sign-in.
func (h *Handler) signupAttackChecks(ctx context.Context, r *http.Request, client *domain.Client, user *domain.User, pw string) *signupRefusal {
	ip := httpserver.ClientIP(ctx).String()
	if v, err := h.throttle.Attempt(ctx, guard.PreUserRegistration, ip); err != nil {
		h.logger.WarnContext(ctx, "suspicious IP throttling not counted", "err", err)
	} else if v.Throttled {
		if v.Logs {
			h.record(r, audit.TypeBlockedIP, "Suspicious IP throttling: too many sign-ups from this address", client, user)
		}
		if !v.Allowed {
			return &signupRefusal{status: http.StatusTooManyRequests, message: guard.MsgSuspiciousIP,
				code: "too_many_attempts", retryAfter: v.RetryAfter}
		}
	}
	if leak, err := h.policy.BreachedAt(ctx, string(guard.PreUserRegistration), pw); err != nil {
		h.logger.WarnContext(ctx, "breached password detection not checked", "err", err)
	} else if leak.Detected {
		h.record(r, audit.TypeSignupPasswordLeaked, "Breached password at sign-up", client, user)
		if leak.Block {
			return &signupRefusal{status: http.StatusBadRequest, message: guard.MsgChoosePasswordLeaked, code: "password_leaked"}
		}
	}
	return nil
}

// createSignedUpUser writes a new user with the hash already computed (so a taken address costs the
// same time as a free one), its first password-history entry and the mail a signup causes
// (verification, welcome), in one transaction; queued says a mail is waiting for the worker.
func (h *Handler) createSignedUpUser(ctx context.Context, user *domain.User, policy *passwordpolicy.Policy, client *domain.Client) (queued bool, err error) {
	err = h.store.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateUser(ctx, user); err != nil {
			return err
		}
		if err := policy.Remember(ctx, tx, user.UserID, user.PasswordHash, user.CreatedAt); err != nil {
			return err
		}
		if h.signupMail == nil {
			return nil
		}
		var err error
		queued, err = h.signupMail(ctx, tx, user, client)
		return err
	})
	return queued, err
}

// msgSignupDenied is shown when a pre-user-registration Action refuses a signup without a message
// of its own for the user.
const msgSignupDenied = "You are not allowed to sign up."

// preUserRegistration runs the pre-user-registration Actions on the user about to be created, for
// the hosted page and /dbconnections/signup alike: a denial refuses the signup (the Action's user
// message shown, its reason in the tenant log, code extensibility_error at /dbconnections/signup);
// otherwise the metadata the Actions set is merged into the user before it is stored.
func (h *Handler) preUserRegistration(ctx context.Context, r *http.Request, client *domain.Client, user *domain.User) (*signupRefusal, error) {
	if h.preRegister == nil {
		return nil, nil
	}
	out, err := h.preRegister.PreUserRegistration(ctx, trigger.PreUserRegistration{User: user, Client: client,
		Connection: user.Connection, IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host})
	if err != nil {
		return nil, err
	}
	if out.Denial != nil {
		h.record(r, audit.TypeSignupFailed, "pre-user-registration Action denied the signup: "+out.Denial.Reason, client, user)
		msg := out.UserMessage
		if msg == "" {
			msg = msgSignupDenied
		}
		return &signupRefusal{status: http.StatusBadRequest, message: msg, code: "extensibility_error"}, nil
	}
	out.ApplyMetadata(user)
	return nil, nil
}

// postUserRegistration hands the created user to the post-user-registration Actions, which run in
// the background: the signup's answer does not wait for them.
func (h *Handler) postUserRegistration(ctx context.Context, r *http.Request, client *domain.Client, user *domain.User) {
	if h.postRegister == nil {
		return
	}
	h.postRegister.PostUserRegistration(ctx, trigger.PostUserRegistration{User: user, Client: client, Connection: user.Connection,
		IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host})
}
