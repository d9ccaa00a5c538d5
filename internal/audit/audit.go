package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Auth0 log event type codes used by Gatehouse.
const (
	TypeLoginSuccess           = "s"
	TypeLoginFailure           = "f"
	TypeWrongPassword          = "fp"
	TypeUnknownUser            = "fu"
	TypeBlockedUser            = "fu" // Auth0 reports blocked users as a failed login
	TypeCodeExchange           = "seacft"
	TypeCodeExchangeFailed     = "feacft"
	TypeClientCredentials      = "seccft"
	TypeClientCredentialsFail  = "feccft"
	TypeRefresh                = "sertft"
	TypeRefreshFailed          = "fertft"
	TypeRefreshReuse           = "ferrt"
	TypePasswordExchange       = "sepft"
	TypePasswordExchangeFail   = "fepft"
	TypeDeviceCodeExchange     = "sede"
	TypeDeviceCodeExchangeFail = "fede"
	TypeLogout                 = "slo"
	TypeLogoutFailed           = "flo"
	TypeSignup                 = "ss"
	TypeSignupFailed           = "fs"
	TypeSilentAuth             = "ssa"
	TypeSilentAuthFailed       = "fsa"
	TypeManagementAPI          = "sapi"
	TypeUserDeleted            = "sdu"
	TypeBlockedAccount         = "limit_wc"          // brute-force protection blocked an IP address for a user
	TypeBlockedIP              = "limit_mu"          // suspicious IP throttling blocked an address
	TypeTooManyLogins          = "limit_sul"         // more than 20 sign-ins a minute for one account from one address
	TypePasswordLeaked         = "pwd_leak"          // a breached password at sign-in
	TypeSignupPasswordLeaked   = "signup_pwd_leak"   // a breached password at sign-up
	TypeResetPasswordLeaked    = "reset_pwd_leak"    // a breached password as a new password
	TypeActionLog              = "actions_execution" // console output and failures of Actions
	TypeUserBlockReleased      = "ublkdu"            // a user lifted brute-force blocks through a blocked_account link

	// Email and the account lifecycle.
	TypeNotificationFailed             = "fn"   // an email could not be delivered
	TypeChangePasswordRequest          = "scpr" // a password reset email was requested
	TypeChangePasswordRequestFailed    = "fcpr" // … and could not be sent
	TypeChangePassword                 = "scp"  // a password was changed through a reset ticket
	TypeChangePasswordFailed           = "fcp"
	TypeVerificationEmailRequest       = "svr"
	TypeVerificationEmailRequestFailed = "fvr"
	TypeVerificationEmail              = "sv" // an email address was verified
	TypeVerificationEmailFailed        = "fv"

	// Second factors (Auth0's Guardian codes).
	TypeMFAEnrollmentComplete = "gd_enrollment_complete"
	TypeMFAAuthSucceed        = "gd_auth_succeed"
	TypeMFAAuthFailed         = "gd_auth_failed"
	TypeMFAOTPRateLimit       = "gd_otp_rate_limit_exceed"
	TypeMFARecoverySucceed    = "gd_recovery_succeed"
	TypeMFARecoveryFailed     = "gd_recovery_failed"
	TypeMFARecoveryRateLimit  = "gd_recovery_rate_limit_exceed"
	TypeMFAUnenroll           = "gd_unenroll"
	TypeMFAEmailSent          = "gd_send_email"
	TypeMFAEnrollmentTicket   = "gd_start_enroll"
	// The MFA grants (a password exchange completed with a second factor).
	TypeMFAOTPExchange          = "seotpft"
	TypeMFAOTPExchangeFail      = "feotpft"
	TypeMFAOOBExchange          = "seoobft"
	TypeMFAOOBExchangeFail      = "feoobft"
	TypeMFARecoveryExchange     = "sercft"
	TypeMFARecoveryExchangeFail = "fercft"
)

// Recorder appends events to the tenant log.
type Recorder struct {
	Store  store.LogStore
	Logger *slog.Logger
	Now    func() time.Time
}

// Record stores e, filling its id and date when empty.
func (r *Recorder) Record(ctx context.Context, e domain.LogEvent) {
	if r == nil || r.Store == nil {
		return
	}
	if e.LogID == "" {
		e.LogID = domain.NewLogID()
	}
	if e.Date.IsZero() {
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		e.Date = now().UTC()
	}
	if err := r.Store.AppendLog(ctx, &e); err != nil && r.Logger != nil {
		r.Logger.ErrorContext(ctx, "tenant log event not recorded", "type", e.Type, "err", err)
	}
}
