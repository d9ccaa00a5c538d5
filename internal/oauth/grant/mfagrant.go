package grant

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// MFA is one of Auth0's MFA grants: the second factor of a password exchange that was answered
// 403 mfa_required. The request carries the mfa_token of that answer and a code: `otp` (a TOTP
// code, mfa-otp), `oob_code` and `binding_code` (the code mailed by /mfa/challenge, mfa-oob), or
// `recovery_code` (mfa-recovery-code, whose answer carries the user's new recovery code). The
// mfa_token must be this client's, live and unspent; the exchange's audience, scope and
// connection are the token's, never the request's. Code attempts count toward the same limits as
// the hosted pages' (per mfa_token and per user); a right code spends the mfa_token, so a token
// yields tokens once.
type MFA struct {
	Deps   *Deps
	Factor string // domain.FactorOTP, "oob" or domain.FactorRecoveryCode
}

// Type implements Grant.
func (g MFA) Type() string {
	switch g.Factor {
	case domain.FactorOTP:
		return domain.GrantMFAOTP
	case domain.FactorRecoveryCode:
		return domain.GrantMFARecoveryCode
	}
	return domain.GrantMFAOOB
}

// LogTypes implements Grant.
func (g MFA) LogTypes() (string, string) {
	switch g.Factor {
	case domain.FactorOTP:
		return audit.TypeMFAOTPExchange, audit.TypeMFAOTPExchangeFail
	case domain.FactorRecoveryCode:
		return audit.TypeMFARecoveryExchange, audit.TypeMFARecoveryExchangeFail
	}
	return audit.TypeMFAOOBExchange, audit.TypeMFAOOBExchangeFail
}

// Auth0's answers to a wrong code.
const (
	DescInvalidOTP      = "Invalid otp_code."
	DescInvalidBinding  = "Invalid binding_code."
	DescInvalidOOB      = "Invalid oob_code."
	DescInvalidRecovery = "MFA Authorization rejected."
	DescTooManyAttempts = "Too many invalid codes. Try again later."
	DescFactorRemoved   = "The authenticator was removed. Sign in again."
)

func mfaRefused(desc, logType, userID string) *protocol.Error {
	e := protocol.NewError(http.StatusForbidden, "invalid_grant", desc)
	e.LogType, e.UserID = logType, userID
	return e
}

// Exchange implements Grant.
func (g MFA) Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error) {
	d, c := g.Deps, req.Client
	if d.MFA == nil || !c.HasGrant(g.Type()) || !c.IsFirstParty {
		return nil, protocol.UnauthorizedClient(g.Type())
	}
	t, perr := d.MFAToken(ctx, req.MFAToken, c)
	if perr != nil {
		return nil, perr
	}
	switch {
	case g.Factor == domain.FactorOTP && req.OTP == "":
		return nil, protocol.MissingParameter("otp")
	case g.Factor == "oob" && req.OOBCode == "":
		return nil, protocol.MissingParameter("oob_code")
	case g.Factor == "oob" && req.BindingCode == "":
		return nil, protocol.MissingParameter("binding_code")
	case g.Factor == domain.FactorRecoveryCode && req.RecoveryCode == "":
		return nil, protocol.MissingParameter("recovery_code")
	}
	user, err := d.Store.GetUser(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.NewError(http.StatusForbidden, "invalid_grant", DescMalformedMFAToken)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if user.Blocked {
		return nil, protocol.NewError(http.StatusUnauthorized, "unauthorized", "user is blocked")
	}
	if e := g.limit(ctx, user.UserID, t); e != nil {
		return nil, e
	}
	now := d.now().UTC()
	s := signIn{user: user, connection: t.Connection, scope: t.Scope, ip: endUserIP(req), now: now,
		methods: []trigger.AuthMethod{{Name: "pwd", Timestamp: t.CreatedAt}, {Name: "mfa", Timestamp: now}}}
	var recovery string
	switch g.Factor {
	case domain.FactorOTP:
		out, err := d.MFA.VerifyTOTP(ctx, user.UserID, req.OTP, false)
		if err == nil && out == mfa.Wrong {
			// The first code of an app enrolled through /mfa/associate confirms it, for a user with
			// no factor yet (one with a factor cannot have enrolled through an mfa_token).
			var f mfa.Factors
			if f, err = d.MFA.Enrolled(ctx, user.UserID); err == nil && !f.TOTP && !f.Email {
				out, err = d.MFA.VerifyTOTP(ctx, user.UserID, req.OTP, true)
			}
		}
		if err != nil {
			return nil, protocol.ServerError(err)
		}
		if out != mfa.Accepted {
			return nil, mfaRefused(DescInvalidOTP, audit.TypeMFAAuthFailed, user.UserID)
		}
		s.amr = []string{"mfa", "otp"}
	case domain.FactorRecoveryCode:
		ok, err := d.MFA.UseRecoveryCode(ctx, user.UserID, req.RecoveryCode)
		if err != nil {
			return nil, protocol.ServerError(err)
		}
		if !ok {
			return nil, mfaRefused(DescInvalidRecovery, audit.TypeMFARecoveryFailed, user.UserID)
		}
		// A used recovery code is replaced at once, and the new one shown in this answer only.
		if recovery, err = d.MFA.NewRecoveryCode(ctx, user.UserID); err != nil {
			return nil, protocol.ServerError(err)
		}
		s.amr = []string{"mfa"}
	default:
		if d.EmailCodes == nil {
			return nil, protocol.UnauthorizedClient(g.Type())
		}
		out, _, err := d.EmailCodes.Check(ctx, user.UserID, t.Hash, req.OOBCode, req.BindingCode)
		switch {
		case errors.Is(err, mfa.ErrUnknownChallenge):
			return nil, mfaRefused(DescInvalidOOB, audit.TypeMFAAuthFailed, user.UserID)
		case errors.Is(err, mfa.ErrFactorRemoved):
			return nil, mfaRefused(DescFactorRemoved, audit.TypeMFAAuthFailed, user.UserID)
		case err != nil:
			return nil, protocol.ServerError(err)
		case out == mfa.Replayed:
			return nil, mfaRefused(DescInvalidOOB, audit.TypeMFAAuthFailed, user.UserID)
		case out != mfa.Accepted:
			return nil, mfaRefused(DescInvalidBinding, audit.TypeMFAAuthFailed, user.UserID)
		}
		s.amr = []string{"mfa", "email"}
	}
	if d.MFALimit != nil {
		if err := d.MFALimit.Succeeded(ctx, user.UserID); err != nil {
			d.logger().WarnContext(ctx, "mfa failures not forgotten", "err", err)
		}
	}
	// The mfa_token is spent by one exchange: of two racing with right codes, one wins.
	if _, err := d.Store.RedeemTicket(ctx, t.Hash, domain.TicketMFAToken, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) || errors.Is(err, store.ErrNotFound) {
			return nil, protocol.NewError(http.StatusForbidden, "invalid_grant", DescExpiredMFAToken)
		}
		return nil, protocol.ServerError(err)
	}
	if s.api, err = d.audienceAPI(ctx, t.Audience); err != nil {
		return nil, err
	}
	res, err := d.userSignIn(ctx, req, s)
	if err != nil {
		return nil, err
	}
	res.RecoveryCode = recovery
	return res, nil
}

// limit counts a code attempt under the mfa_token and for the user (the hosted pages' limiter).
func (g MFA) limit(ctx context.Context, userID string, t *domain.Ticket) *protocol.Error {
	d := g.Deps
	if d.MFALimit == nil {
		return nil
	}
	a, err := d.MFALimit.Attempt(ctx, userID, "mfa_token:"+hex.EncodeToString(t.Hash))
	if err != nil {
		return protocol.ServerError(err)
	}
	rateType := audit.TypeMFAOTPRateLimit
	if g.Factor == domain.FactorRecoveryCode {
		rateType = audit.TypeMFARecoveryRateLimit
	}
	switch {
	case a.UserBlocked:
		e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", DescTooManyAttempts)
		e.LogType, e.UserID, e.RetryAfter = rateType, userID, int(a.RetryAfter/time.Second)
		return e
	case !a.Allowed:
		// The mfa_token has had its tries: it is spent, and the sign-in must start again.
		if _, err := d.Store.RedeemTicket(ctx, t.Hash, domain.TicketMFAToken, d.now().UTC()); err != nil &&
			!errors.Is(err, store.ErrAlreadyUsed) && !errors.Is(err, store.ErrNotFound) {
			return protocol.ServerError(err)
		}
		e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", DescTooManyAttempts+" Sign in again.")
		e.LogType, e.UserID = rateType, userID
		return e
	}
	return nil
}
