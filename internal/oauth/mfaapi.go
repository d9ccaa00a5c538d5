package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Auth0's MFA API (the Authentication API's /mfa/*), driven by the mfa_token of a 403
// mfa_required: list the user's authenticators, enroll the first one, and ask for a challenge.
// The code itself is answered at /oauth/token by an MFA grant (grant.MFA). An mfa_token enrolls
// only a user with no factor yet: once a user has one, a stolen password cannot add another.

// Limits of mailed codes: how many a user may be sent within mfaEmailWindow.
const (
	mfaEmailPerWindow = 10
	mfaEmailWindow    = 15 * time.Minute
)

// authenticatorOut is one authenticator as /mfa/authenticators shows it.
type authenticatorOut struct {
	ID                string `json:"id"`
	AuthenticatorType string `json:"authenticator_type"`
	Active            bool   `json:"active"`
	OOBChannel        string `json:"oob_channel,omitempty"`
	Name              string `json:"name,omitempty"`
}

// maskEmail hides most of an address's local part, as Auth0 names an email authenticator.
func maskEmail(email string) string {
	local, domainPart, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	return local[:1] + "***@" + domainPart
}

func authenticatorView(a *domain.MFAAuthenticator, u *domain.User) (authenticatorOut, bool) {
	out := authenticatorOut{ID: a.ID, Active: a.Confirmed}
	switch a.Type {
	case domain.MethodTOTP:
		out.AuthenticatorType = "otp"
	case domain.MethodRecoveryCode:
		out.AuthenticatorType = "recovery-code"
	case domain.MethodEmail:
		out.AuthenticatorType, out.OOBChannel, out.Name = "oob", "email", maskEmail(u.Email)
	default:
		return out, false // a factor of another package (WebAuthn) is not answered through this API
	}
	return out, true
}

// bearerMFAToken reads the mfa_token of Authorization: Bearer.
func bearerMFAToken(r *http.Request) string {
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(rest)
}

// mfaSubject is the mfa_token of a /mfa request, its user and the user's authenticators.
type mfaSubject struct {
	token *domain.Ticket
	user  *domain.User
	list  []*domain.MFAAuthenticator
}

func (h *Handler) mfaSubject(ctx context.Context, secret string, c *domain.Client) (*mfaSubject, *protocol.Error) {
	if h.deps.MFA == nil {
		return nil, protocol.NewError(http.StatusNotFound, "not_found", "Multi-factor authentication is not available")
	}
	if secret == "" {
		return nil, protocol.InvalidToken("Missing mfa_token")
	}
	t, e := h.deps.MFAToken(ctx, secret, c)
	if e != nil {
		if c == nil {
			e.Status, e.Code = http.StatusUnauthorized, "invalid_token"
		}
		return nil, e
	}
	u, err := h.store.GetUser(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.InvalidToken(grantDescMalformed)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	list, err := h.store.ListMFAAuthenticators(ctx, u.UserID)
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	return &mfaSubject{token: t, user: u, list: list}, nil
}

const grantDescMalformed = "Malformed mfa_token"

// serveMFAAuthenticators is GET /mfa/authenticators (Authorization: Bearer <mfa_token>).
func (h *Handler) serveMFAAuthenticators(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, e := h.mfaSubject(ctx, bearerMFAToken(r), nil)
	if e != nil {
		h.writeError(ctx, w, e, false)
		return
	}
	out := []authenticatorOut{}
	for _, a := range s.list {
		if v, ok := authenticatorView(a, s.user); ok {
			out = append(out, v)
		}
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, out)
}

// associateRequest is the body of POST /mfa/associate.
type associateRequest struct {
	ClientID           string   `json:"client_id"`
	AuthenticatorTypes []string `json:"authenticator_types"`
	OOBChannels        []string `json:"oob_channels"`
	Email              string   `json:"email"`
}

// enrollmentOut is the answer of POST /mfa/associate.
type enrollmentOut struct {
	ID                string   `json:"id,omitempty"`
	AuthenticatorType string   `json:"authenticator_type"`
	Secret            string   `json:"secret,omitempty"`
	BarcodeURI        string   `json:"barcode_uri,omitempty"`
	OOBChannel        string   `json:"oob_channel,omitempty"`
	OOBCode           string   `json:"oob_code,omitempty"`
	BindingMethod     string   `json:"binding_method,omitempty"`
	RecoveryCodes     []string `json:"recovery_codes,omitempty"`
}

// serveMFAAssociate is POST /mfa/associate (Authorization: Bearer <mfa_token>): the first factor of
// a user who has none, an authenticator app (otp) or their verified email (oob, channel email).
// The factor is confirmed by the first code answered at /oauth/token.
func (h *Handler) serveMFAAssociate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, e := h.mfaSubject(ctx, bearerMFAToken(r), nil)
	if e != nil {
		h.writeError(ctx, w, e, false)
		return
	}
	var body associateRequest
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(raw, &body)
		if err != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, err = associateForm(raw)
		}
	}
	if err != nil {
		h.writeError(ctx, w, protocol.InvalidRequest("Malformed request body"), false)
		return
	}
	if body.ClientID != "" && body.ClientID != s.token.ClientID {
		h.writeError(ctx, w, protocol.NewError(http.StatusForbidden, "invalid_grant", grantDescMalformed), false)
		return
	}
	if len(body.AuthenticatorTypes) != 1 {
		h.writeError(ctx, w, protocol.InvalidRequest("authenticator_types must name one type: otp or oob"), false)
		return
	}
	if slices.ContainsFunc(s.list, func(a *domain.MFAAuthenticator) bool { return a.Confirmed && a.Type != domain.MethodRecoveryCode }) {
		h.writeError(ctx, w, protocol.NewError(http.StatusForbidden, "access_denied", "User is already enrolled."), false)
		return
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.writeError(ctx, w, protocol.ServerError(err), false)
		return
	}
	c, err := h.config.Client(ctx, s.token.ClientID)
	if err != nil {
		h.writeError(ctx, w, protocol.ServerError(err), false)
		return
	}
	var out enrollmentOut
	switch typ := body.AuthenticatorTypes[0]; {
	case typ == "otp" && g.Enabled[domain.FactorOTP]:
		account := s.user.Email
		if account == "" {
			account = s.user.Username
		}
		en, err := h.deps.MFA.PendingTOTP(ctx, s.user.UserID, tenantName(h.issuer), account)
		if err != nil {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
		out = enrollmentOut{ID: en.AuthenticatorID, AuthenticatorType: "otp", Secret: en.Secret, BarcodeURI: en.URI}
	case typ == "oob" && g.Enabled[domain.FactorEmail]:
		if !slices.Equal(body.OOBChannels, []string{"email"}) {
			h.writeError(ctx, w, protocol.InvalidRequest("oob_channels must be [\"email\"]: the only out-of-band channel offered"), false)
			return
		}
		if body.Email != "" && !strings.EqualFold(body.Email, s.user.Email) {
			h.writeError(ctx, w, protocol.InvalidRequest("Only the user's verified email address can be enrolled"), false)
			return
		}
		a, err := h.deps.MFA.EnrollEmail(ctx, s.user)
		if errors.Is(err, mfa.ErrNoVerifiedEmail) {
			h.writeError(ctx, w, protocol.InvalidRequest("The user has no verified email address"), false)
			return
		}
		if err != nil {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
		oob, perr := h.sendEmailCode(ctx, r, c, s, a)
		if perr != nil {
			h.writeError(ctx, w, perr, false)
			return
		}
		out = enrollmentOut{ID: a.ID, AuthenticatorType: "oob", OOBChannel: "email", OOBCode: oob, BindingMethod: "prompt"}
	default:
		h.writeError(ctx, w, protocol.NewError(http.StatusBadRequest, "unsupported_challenge_type",
			"The authenticator type is not enabled for the tenant (otp, and oob with channel email, when enabled)"), false)
		return
	}
	if g.Enabled[domain.FactorRecoveryCode] && !slices.ContainsFunc(s.list, func(a *domain.MFAAuthenticator) bool { return a.Type == domain.MethodRecoveryCode }) {
		code, err := h.deps.MFA.NewRecoveryCode(ctx, s.user.UserID)
		if err != nil {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
		out.RecoveryCodes = []string{code}
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, out)
}

func associateForm(raw []byte) (associateRequest, error) {
	p, perr := protocol.ParseQuery(string(raw))
	if perr != nil {
		return associateRequest{}, perr
	}
	b := associateRequest{ClientID: p["client_id"], Email: p["email"]}
	b.AuthenticatorTypes = strings.Fields(p["authenticator_types"])
	b.OOBChannels = strings.Fields(p["oob_channels"])
	return b, nil
}

// tenantName labels an authenticator app's entry: the issuer's host.
func tenantName(issuer string) string {
	host := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimSuffix(host, "/")
}

// sendEmailCode mails a code for authenticator a under the mfa_token, within the per-user limit.
func (h *Handler) sendEmailCode(ctx context.Context, r *http.Request, c *domain.Client, s *mfaSubject, a *domain.MFAAuthenticator) (string, *protocol.Error) {
	now := h.now().UTC()
	n, _, err := h.store.HitCounter(ctx, "mfa-email:"+s.user.UserID, 1, now, now.Add(mfaEmailWindow), false)
	if err != nil {
		return "", protocol.ServerError(err)
	}
	if n > mfaEmailPerWindow {
		e := protocol.NewError(http.StatusTooManyRequests, "too_many_requests", "Too many codes were sent. Try again later.")
		e.UserID = s.user.UserID
		h.logEvent(ctx, r, audit.TypeMFAOTPRateLimit, c, c.ClientID, "", e)
		return "", e
	}
	oob, err := h.deps.EmailCodes.Send(ctx, s.user, c, a, s.token.Hash)
	if errors.Is(err, mfa.ErrNoVerifiedEmail) {
		return "", protocol.InvalidRequest("The user has no verified email address")
	}
	if err != nil {
		return "", protocol.ServerError(err)
	}
	if h.logs != nil {
		h.logs.add(ctx, domain.LogEvent{Type: audit.TypeMFAEmailSent, ClientID: c.ClientID, ClientName: c.Name,
			IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), UserID: s.user.UserID, Hostname: r.Host,
			Description: "Guardian - Email sent to " + maskEmail(s.user.Email)})
	}
	return oob, nil
}

// challengeOut is the answer of POST /mfa/challenge.
type challengeOut struct {
	ChallengeType string `json:"challenge_type"`
	OOBCode       string `json:"oob_code,omitempty"`
	BindingMethod string `json:"binding_method,omitempty"`
}

// serveMFAChallenge is POST /mfa/challenge: the client (authenticated as at /oauth/token) names
// its mfa_token, the challenge types it can handle (challenge_type, space-separated: otp, oob)
// and optionally one authenticator. An authenticator app needs nothing sent (challenge_type otp);
// an email authenticator is sent a code (challenge_type oob, binding_method prompt).
func (h *Handler) serveMFAChallenge(w http.ResponseWriter, r *http.Request) {
	ctx, req, client, ok := h.clientRequest(w, r)
	if !ok {
		return
	}
	h.allowOrigin(w, r, client)
	s, e := h.mfaSubject(ctx, req.MFAToken, client)
	if e != nil {
		if req.MFAToken == "" {
			e = protocol.MissingParameter("mfa_token")
		}
		h.writeError(ctx, w, e, false)
		return
	}
	types := strings.Fields(req.ChallengeType)
	allowed := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	for _, t := range types {
		if t != "otp" && t != "oob" {
			h.writeError(ctx, w, protocol.NewError(http.StatusBadRequest, "unsupported_challenge_type", "Unsupported challenge type: "+protocol.Sanitize(t)), false)
			return
		}
	}
	wanted := req.AuthenticatorID
	var pick *domain.MFAAuthenticator
	for _, a := range s.list {
		if !a.Confirmed || (wanted != "" && a.ID != wanted) {
			continue
		}
		if (a.Type == domain.MethodTOTP && allowed("otp")) || (a.Type == domain.MethodEmail && allowed("oob")) {
			if pick == nil || (pick.Type == domain.MethodEmail && a.Type == domain.MethodTOTP) {
				pick = a // an app's code costs no mail: preferred when the client takes either
			}
		}
	}
	if pick == nil {
		desc := "User is not enrolled with a factor of the requested challenge types."
		if wanted != "" {
			desc = "Invalid authenticator_id."
		}
		h.writeError(ctx, w, protocol.NewError(http.StatusBadRequest, "unsupported_challenge_type", desc), false)
		return
	}
	out := challengeOut{ChallengeType: "otp"}
	if pick.Type == domain.MethodEmail {
		oob, perr := h.sendEmailCode(ctx, r, client, s, pick)
		if perr != nil {
			h.writeError(ctx, w, perr, false)
			return
		}
		out = challengeOut{ChallengeType: "oob", OOBCode: oob, BindingMethod: "prompt"}
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, out)
}
