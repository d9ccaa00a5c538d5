package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// deviceAuthorizationResponse is RFC 8628 §3.2's answer, in Auth0's shape (spec §1.11).
type deviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// maxDeviceScope bounds the scope a device may ask for: it is stored for 15 minutes before anyone
// has authenticated, so its size must not be the caller's choice.
const maxDeviceScope = 2048

// Device code creation limits, counted on the shared counters (guard.RateLimiter): a device asks
// once per sign-in, so a few a minute from one address is plenty, while a client's whole fleet may
// ask more; both bound how many pending codes (each a row, and a user code to guess) anyone can
// pile up.
var (
	deviceCodesPerClientIP = guard.Limit{Max: 10, Window: time.Minute}
	deviceCodesPerClient   = guard.Limit{Max: 600, Window: time.Minute}
)

// errTooManyDeviceCodes is the device authorization endpoint's 429.
var errTooManyDeviceCodes = protocol.NewError(http.StatusTooManyRequests, "too_many_requests",
	"Too many device codes requested. Try again later.")

// allowDeviceCode counts a device code request against both limits and writes the 429 when over
// one. The client is authenticated by then, so a stranger cannot spend another client's budget by
// naming it.
func (h *Handler) allowDeviceCode(w http.ResponseWriter, r *http.Request, clientID string) bool {
	ctx := r.Context()
	ip := httpserver.ClientIP(ctx).String()
	for _, c := range []struct {
		name, key string
		lim       guard.Limit
	}{{"device_code_ip", clientID + "|" + ip, deviceCodesPerClientIP}, {"device_code_client", clientID, deviceCodesPerClient}} {
		d, err := h.limiter.Take(ctx, c.name, c.key, c.lim)
		if err != nil {
			h.log.WarnContext(ctx, "device code rate limit not counted", "err", err)
			continue
		}
		if !d.Allowed {
			d.SetHeaders(w.Header())
			h.writeError(ctx, w, errTooManyDeviceCodes, false)
			return false
		}
	}
	return true
}

// serveDeviceCode is POST /oauth/device/code (RFC 8628 §3.1): a client that lists the device code
// grant gets a device code (256 bits, stored hashed), a user code and where the user enters it. Only
// the hashes of both codes are stored.
func (h *Handler) serveDeviceCode(w http.ResponseWriter, r *http.Request) {
	ctx, req, client, ok := h.clientRequest(w, r)
	if !ok {
		return
	}
	h.allowOrigin(w, r, client)
	if !client.HasGrant(domain.GrantDeviceCode) || !client.IsFirstParty { // domain.FirstPartyOnly
		h.writeError(ctx, w, protocol.UnauthorizedClient(domain.GrantDeviceCode), false)
		return
	}
	if !h.allowDeviceCode(w, r, client.ClientID) {
		return
	}
	if len(req.Scope) > maxDeviceScope {
		h.writeError(ctx, w, protocol.NewError(http.StatusBadRequest, "invalid_scope", "The scope is too long."), false)
		return
	}
	audience := req.Audience
	if audience == "" {
		ts, err := h.config.TenantSettings(ctx)
		if err != nil {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
		audience = ts.DefaultAudience
	}
	if audience != "" {
		if _, err := h.config.ResourceServer(ctx, audience); errors.Is(err, store.ErrNotFound) {
			h.writeError(ctx, w, protocol.AccessDenied("Service not enabled within domain: %s", protocol.Sanitize(audience)), false)
			return
		} else if err != nil {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
	}
	now := h.now().UTC()
	deviceCode := domain.RandomToken(32)
	dc := &domain.DeviceCode{
		CodeHash: domain.HashSecret(deviceCode), ClientID: client.ClientID, Scope: strings.Join(strings.Fields(req.Scope), " "),
		Audience: audience, Interval: domain.DeviceInterval, CreatedAt: now, ExpiresAt: now.Add(domain.DeviceCodeLifetime),
	}
	// A user code already in use (one chance in billions with the codes alive at once) is drawn again.
	var userCode string
	for attempt := 0; ; attempt++ {
		userCode = domain.NewUserCode()
		dc.UserCodeHash = domain.HashUserCode(userCode)
		err := h.store.CreateDeviceCode(ctx, dc)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 4 {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
	}
	verify := h.issuer + "activate"
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, deviceAuthorizationResponse{
		DeviceCode: deviceCode, UserCode: userCode, VerificationURI: verify,
		VerificationURIComplete: verify + "?user_code=" + url.QueryEscape(userCode),
		ExpiresIn:               int(domain.DeviceCodeLifetime.Seconds()), Interval: domain.DeviceInterval,
	})
}
