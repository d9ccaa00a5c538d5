package authflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// Which second factor a sign-in needs, and what a session has already shown.

// mfaPage is the second-factor page for a user with factors: the first of the allowed types (an
// Action's challengeWith order; any when empty) the user has, the enrollment of an authenticator
// app for a user with none (when an app is allowed), or "" when nothing the user has is allowed.
func mfaPage(f mfa.Factors, allowed []string) string {
	if len(allowed) == 0 {
		allowed = []string{domain.FactorOTP, domain.FactorEmail, domain.FactorRecoveryCode}
	}
	for _, t := range allowed {
		switch {
		case t == domain.FactorOTP && f.TOTP:
			return MFAOTPChallengePath
		case t == domain.FactorEmail && f.Email:
			return MFAEmailChallengePath
		case t == domain.FactorRecoveryCode && f.RecoveryCode:
			return MFARecoveryChallengePath
		}
	}
	if !f.Any() && slices.Contains(allowed, domain.FactorOTP) {
		return MFAOTPEnrollPath
	}
	return ""
}

// methodSatisfies reports whether a session's recorded methods (amr) answer a factor type.
func methodSatisfies(methods []string, factor string) bool {
	switch factor {
	case domain.FactorOTP:
		return slices.Contains(methods, "otp")
	case domain.FactorEmail:
		return slices.Contains(methods, "email")
	case domain.FactorRecoveryCode:
		return slices.Equal(methods, mfaMethodsRecovery)
	}
	return false
}

// mfaNeeded applies the rule of when a sign-in needs a second factor: the tenant's policy
// (all-applications, or confidence-score taken as always), an Action's api.multifactor.enable, or
// the app's acr_values asking for the multi-factor policy, and only when the tenant has OTP, a
// WebAuthn factor or email enabled (without a factor nothing could be asked for; a user who can
// answer none of them is refused rather than let through). An Action's enable('none') overrides the
// tenant policy but not an app that asked for MFA by acr_values.
func (h *Handler) mfaNeeded(ctx context.Context, f *flow) (need, remember bool, err error) {
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		return false, false, fmt.Errorf("mfa: guardian settings: %w", err)
	}
	if !g.AnyFactorEnabled() && !g.Enabled[domain.FactorEmail] {
		return false, false, nil
	}
	action := f.tokens.MFA
	byApp := slices.Contains(strings.Fields(f.tx.Params["acr_values"]), domain.ACRMultiFactor)
	byAction := action.Required()
	byPolicy := g.AlwaysMFA() && (action == nil || action.Provider != "none")
	remember = true
	if action != nil {
		remember = action.AllowRememberBrowser
	}
	return byApp || byAction || byPolicy, remember, nil
}

// sessionPassedMFA reports whether the session has passed a second factor since it was
// authenticated; with types, one of those types (an Action's challengeWith).
func (h *Handler) sessionPassedMFA(ctx context.Context, sess *domain.Session, types ...string) (bool, error) {
	m, err := h.store.GetSessionMFA(ctx, sess.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mfa: session: %w", err)
	}
	if m.At.Before(sess.AuthenticatedAt) {
		return false, nil
	}
	return len(types) == 0 || slices.ContainsFunc(types, func(t string) bool { return methodSatisfies(m.Methods, t) }), nil
}

// authMethods is event.authentication.methods of a sign-in: the password (or "federated" after
// another identity provider), and the second factor
// when the session passed one.
func (h *Handler) authMethods(ctx context.Context, sess *domain.Session, u *domain.User) []trigger.AuthMethod {
	methods := []trigger.AuthMethod{{Name: authMethod(u), Timestamp: sess.AuthenticatedAt}}
	if m, err := h.store.GetSessionMFA(ctx, sess.ID); err == nil && !m.At.Before(sess.AuthenticatedAt) {
		if _, ok := passkeyAMR(m.Methods); ok {
			methods[0].Name = domain.MethodPasskey
		}
		methods = append(methods, trigger.AuthMethod{Name: "mfa", Timestamp: m.At})
	}
	return methods
}

// signInAMR is the amr of the ID tokens of a sign-in on sess: the password and the factor when the
// session passed one since it was authenticated, nothing otherwise (Auth0 writes amr only after MFA).
func (h *Handler) signInAMR(ctx context.Context, sess *domain.Session) []string {
	m, err := h.store.GetSessionMFA(ctx, sess.ID)
	if err != nil || m.At.Before(sess.AuthenticatedAt) {
		return nil
	}
	if amr, ok := passkeyAMR(m.Methods); ok {
		return amr
	}
	return append([]string{"pwd"}, m.Methods...)
}

// noEnrollableFactor is enrollmentPage's answer when none of the factors asked for can be enrolled.
const noEnrollableFactor = "-"

// enrollmentPage is where a post-login Action's enrollWith/enrollWithAny sends the user: "" when
// none was asked for or the user already has a confirmed factor of one of the types; else the
// enrollment page of the first type the tenant has enabled, or noEnrollableFactor.
func (h *Handler) enrollmentPage(ctx context.Context, userID string, enroll []string) (string, error) {
	if len(enroll) == 0 {
		return "", nil
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		return "", fmt.Errorf("mfa: guardian settings: %w", err)
	}
	f, err := h.mfa.Enrolled(ctx, userID)
	if err != nil {
		return "", err
	}
	keys, err := h.store.ListWebAuthnCredentials(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, t := range enroll {
		if (t == domain.FactorOTP && f.TOTP) || slices.ContainsFunc(keys, func(k *domain.WebAuthnCredential) bool { return k.Type == t }) {
			return "", nil
		}
	}
	for _, t := range enroll {
		switch {
		case !g.Enabled[t]:
		case t == domain.FactorOTP:
			return MFAOTPEnrollPath, nil
		case t == domain.FactorWebAuthnRoaming && h.webauthn != nil:
			return MFAWebAuthnRoamingEnrollPath, nil
		case t == domain.FactorWebAuthnPlatform && h.webauthn != nil:
			return MFAWebAuthnPlatformEnrollPath, nil
		}
	}
	return noEnrollableFactor, nil
}

// hasWebAuthnFactor reports whether the user has a security key or platform authenticator of a
// WebAuthn factor the tenant has enabled (passkeys are a first factor, not counted).
func (h *Handler) hasWebAuthnFactor(ctx context.Context, userID string) (bool, error) {
	if h.webauthn == nil {
		return false, nil
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		return false, err
	}
	kinds := webauthnKinds(g)
	if len(kinds) == 0 {
		return false, nil
	}
	creds, err := h.webauthn.Credentials(ctx, userID, kinds...)
	return len(creds) > 0, err
}

// enrollingAfterMFA reports whether a second-factor transaction is an enrollWith enrollment by a
// session that passed an existing factor in this sign-in: then a user who has factors may add one.
func (h *Handler) enrollingAfterMFA(ctx context.Context, s *mfaState) (bool, error) {
	if !s.tx.MFAEnroll {
		return false, nil
	}
	return h.sessionPassedMFA(ctx, s.sess)
}

// emailFallback makes the email factor the one asked for when it is the only factor the tenant
// has on and the user has a verified address and no factor: as at Auth0, every user with a
// verified email can use it once the factor is on. The email authenticator is created unconfirmed
// (the first code answered confirms it); ok reports whether the user can be challenged by email.
func (h *Handler) emailFallback(ctx context.Context, u *domain.User) (bool, error) {
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		return false, err
	}
	if !g.Enabled[domain.FactorEmail] || g.AnyFactorEnabled() || u.Email == "" || !u.EmailVerified || h.emailCodes == nil {
		return false, nil
	}
	if _, err := h.mfa.EnrollEmail(ctx, u); err != nil {
		return false, err
	}
	return true, nil
}

// emailUsable reports whether an email authenticator can be challenged: confirmed, or the user's
// verified address while the email factor is on (emailFallback's unconfirmed authenticator).
func (h *Handler) emailUsable(ctx context.Context, u *domain.User, a *domain.MFAAuthenticator) (bool, error) {
	if a == nil {
		return false, nil
	}
	if a.Confirmed {
		return true, nil
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		return false, err
	}
	return g.Enabled[domain.FactorEmail] && u.Email != "" && u.EmailVerified, nil
}
