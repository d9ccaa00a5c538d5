package authflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxParamLen bounds every /authorize parameter value: long enough for any real state, nonce or URL,
// short enough that a transaction row stays small.
const maxParamLen = 4096

// badRequest is a refusal shown on Gatehouse's own page: the client or redirect_uri could not be
// trusted, so nothing may be sent to the redirect_uri (RFC 6749 §4.1.2.1).
func badRequest(description string) *protocol.Error {
	e := protocol.InvalidRequest("%s", description)
	e.Heading = "Invalid request."
	return e
}

// Callback mismatch text, verbatim as Auth0 shows it (spec §1.2).
const (
	callbackMismatchHeading = "Callback URL mismatch."
	callbackMismatchBody    = "The provided redirect_uri is not in the list of allowed callback URLs."
	callbackMismatchHelp    = "Please go to the Application Settings page and make sure you are sending a valid callback url from your application."
)

// RedirectURIAllowed reports whether raw may receive an authorization response for c: the one rule
// of the protocol core (protocol.RedirectURIAllowed), exact matching but for native apps' loopback
// ports.
func RedirectURIAllowed(c *domain.Client, raw string) bool {
	return protocol.RedirectURIAllowed(c, raw)
}

// keptParams are accepted parameters carried in the transaction for Actions (event.transaction);
// anything else (auth0Client, …) is ignored (spec §1.1).
var keptParams = []string{"ui_locales", "acr_values", "connection"}

// parseAuthorize validates an /authorize query. It returns one error: a *protocol.Error with a nil
// request is a refusal shown on Gatehouse's own page (the query, client or redirect_uri could not be
// trusted; checked first); a *protocol.Error with a request goes back to the application, at the
// request's RedirectURI in its ResponseMode with its State; any other error is a storage failure.
func (h *Handler) parseAuthorize(ctx context.Context, rawQuery string) (*protocol.AuthorizeRequest, error) {
	vals, qerr := url.ParseQuery(rawQuery)
	if qerr != nil {
		return nil, badRequest("The query string is malformed.")
	}
	return h.parseAuthorizeValues(ctx, vals, nil)
}

// ValidatePushedRequest checks a pushed authorization request (RFC 9126 §2.1) by the rules of
// /authorize, for the client that pushed and authenticated it (oauth.PushedRequestValidator). Every
// refusal is an error for the client's back channel: a refusal /authorize would show on its own
// page becomes invalid_request with the same words.
func (h *Handler) ValidatePushedRequest(ctx context.Context, client *domain.Client, params map[string]string) *protocol.Error {
	vals := url.Values{}
	for k, v := range params {
		vals.Set(k, v)
	}
	_, err := h.parseAuthorizeValues(ctx, vals, client)
	if err == nil {
		return nil
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		return protocol.ServerError(err)
	}
	out := protocol.NewError(http.StatusBadRequest, pe.Code, pe.Description)
	if out.Code == "" {
		out.Code = "invalid_request"
	}
	if pe.Status >= 400 && pe.Status < 500 {
		out.Status = pe.Status
	}
	return out
}

// parseAuthorizeValues is parseAuthorize on parsed values. pushedBy is set when the values are a
// pushed authorization request being validated at /oauth/par (RFC 9126 §2.1) by that client;
// otherwise a request_uri that Gatehouse issued is redeemed here, once, and its parameters are the
// request (RFC 9126 §4).
func (h *Handler) parseAuthorizeValues(ctx context.Context, vals url.Values, pushedBy *domain.Client) (*protocol.AuthorizeRequest, error) {
	one := func(name string) (string, *protocol.Error) {
		v := vals[name]
		switch {
		case len(v) == 0 || v[0] == "":
			return "", badRequest("Missing required parameter: " + name)
		case len(v) > 1:
			return "", badRequest("Duplicate parameter: " + name)
		}
		return v[0], nil
	}
	clientID, pe := one("client_id")
	if pe != nil {
		return nil, pe
	}
	if len(clientID) > 128 || !utf8.ValidString(clientID) || strings.ContainsRune(clientID, 0) {
		return nil, badRequest("Unknown client: " + strings.ToValidUTF8(protocol.Truncate(clientID, 128), "\uFFFD"))
	}
	pushed := false
	if ru := vals["request_uri"]; len(ru) > 0 && pushedBy == nil && domain.IsPushedRequestURI(ru[0]) {
		if len(ru) > 1 {
			return nil, badRequest("Duplicate parameter: request_uri")
		}
		p, err := h.store.ConsumePushedRequest(ctx, domain.HashSecret(ru[0]), clientID, h.now())
		if errors.Is(err, store.ErrNotFound) {
			// Unknown, used, expired or another client's: nothing says where an error could go.
			e := protocol.NewError(http.StatusBadRequest, "invalid_request_uri", "The request_uri is unknown, expired, already used or not this client's")
			e.Heading = "Invalid request."
			return nil, e
		}
		if err != nil {
			return nil, fmt.Errorf("authorize: pushed request: %w", err)
		}
		// RFC 9126 §4: the pushed parameters are the request; others in the query are ignored.
		vals = url.Values{}
		for k, v := range p.Params {
			vals.Set(k, v)
		}
		vals.Set("client_id", clientID)
		pushed = true
	}
	var client *domain.Client
	if pushedBy != nil {
		if clientID != pushedBy.ClientID {
			return nil, badRequest("client_id does not match the authenticated client")
		}
		client = pushedBy
	} else {
		var gerr error
		client, gerr = h.store.GetClient(ctx, clientID)
		if errors.Is(gerr, store.ErrNotFound) {
			return nil, badRequest("Unknown client: " + clientID)
		}
		if gerr != nil {
			return nil, fmt.Errorf("authorize: client: %w", gerr)
		}
	}
	// RFC 6749 §3.1.2.3 and OIDC Core §3.1.2.1: Gatehouse requires redirect_uri even when a client has
	// one callback, so the code is always bound to an exact URI the token request must repeat.
	redirectURI, pe := one("redirect_uri")
	if pe != nil {
		return nil, pe
	}
	if !RedirectURIAllowed(client, redirectURI) {
		return nil, &protocol.Error{Status: http.StatusBadRequest, Heading: callbackMismatchHeading, Description: callbackMismatchBody, Details: []string{callbackMismatchHelp}}
	}

	// From here on errors go back to the application. First settle how: response_mode and state.
	req := &protocol.AuthorizeRequest{Client: client}
	tx := &req.Transaction
	tx.ClientID, tx.RedirectURI, tx.ResponseMode = client.ClientID, redirectURI, protocol.ModeQuery
	if v := vals["response_type"]; len(v) == 1 && slices.Contains(strings.Fields(v[0]), "id_token") {
		tx.ResponseMode = protocol.DefaultResponseMode(true)
	}
	if v := vals["response_mode"]; len(v) == 1 && (v[0] == protocol.ModeQuery || v[0] == protocol.ModeFragment || v[0] == protocol.ModeFormPost || v[0] == protocol.ModeWebMessage) {
		tx.ResponseMode = v[0]
	}
	if tx.ResponseMode == protocol.ModeWebMessage {
		// A web_message response is posted to the redirect URI's origin: unless the client lists that
		// origin, not even an error may be posted, so the refusal stays on Gatehouse's own page.
		if _, pe := protocol.WebMessageTarget(client, redirectURI); pe != nil {
			return nil, pe
		}
	}
	if v := vals["state"]; len(v) == 1 && validValue(v[0]) {
		tx.State = v[0]
	}

	// RFC 6749 §3.1: parameters must not be included more than once — any parameter.
	params, derr := protocol.Single(vals)
	if derr != nil {
		return req, derr
	}
	names := slices.Sorted(maps.Keys(params))
	for _, k := range names {
		if !validValue(params[k]) {
			return req, protocol.InvalidRequest("Invalid value for parameter: %s", protocol.Truncate(k, 64))
		}
	}
	get := func(name string) string { return params[name] }

	// OIDC Core §6: request objects are not supported (discovery says so). Running the request without
	// the parameters an object carries would sign the user in to something else than the client asked,
	// so either parameter is refused with the error §6.1 and §6.2 name for it.
	if _, ok := params["request"]; ok {
		return req, protocol.NewError(http.StatusBadRequest, "request_not_supported", "The request parameter (request objects) is not supported")
	}
	if _, ok := params["request_uri"]; ok {
		if pushedBy != nil {
			return req, protocol.InvalidRequest("request_uri must not be pushed")
		}
		// Only the request_uri of a pushed request (redeemed above) is understood.
		return req, protocol.NewError(http.StatusBadRequest, "request_uri_not_supported", "The request_uri parameter is supported only for pushed authorization requests (urn:ietf:params:oauth:request_uri:)")
	}
	if client.RequirePushedAuthorizationRequests && !pushed && pushedBy == nil {
		// RFC 9126 §6: such a client's requests come only through /oauth/par.
		return req, protocol.InvalidRequest("Pushed Authorization Requests are required for this client; use /oauth/par")
	}

	switch m := get("response_mode"); m {
	case "", protocol.ModeQuery, protocol.ModeFragment, protocol.ModeFormPost, protocol.ModeWebMessage:
	default:
		return req, protocol.InvalidRequest("Unsupported response_mode: %s", m)
	}

	rt, withCode, withIDToken, pe := protocol.ResponseType(get("response_type"))
	if pe != nil {
		return req, pe
	}
	tx.ResponseType = rt
	if withCode && !client.HasGrant(domain.GrantAuthorizationCode) {
		return req, protocol.UnauthorizedClient(domain.GrantAuthorizationCode)
	}
	if pe := protocol.ImplicitAllowed(client, withIDToken); pe != nil {
		return req, pe
	}
	if withIDToken && h.idTokens == nil {
		return req, protocol.NewError(http.StatusBadRequest, "unsupported_response_type", "Unsupported response type: "+rt)
	}
	if withIDToken {
		// OAuth 2.0 Multiple Response Type Encoding Practices §5: an ID token never goes in a query
		// (it would reach logs and Referer headers); web_message is for codes only.
		if m := tx.ResponseMode; m != protocol.ModeFragment && m != protocol.ModeFormPost {
			return req, protocol.InvalidRequest("response_mode=%s cannot carry an id_token; use form_post or fragment", m)
		}
		// OpenID Connect Core §3.2.2.1, §3.3.2.11: the nonce is what binds the ID token to the
		// client's session, so it is required; and there is no ID token without openid.
		if get("nonce") == "" {
			return req, protocol.MissingParameter("nonce")
		}
		if !slices.Contains(strings.Fields(get("scope")), "openid") {
			return req, protocol.InvalidRequest("response_type %s needs the openid scope", rt)
		}
	}

	if withCode {
		if pe := protocol.CheckChallenge(client, get("code_challenge"), get("code_challenge_method")); pe != nil {
			return req, pe
		}
		if c := get("code_challenge"); c != "" {
			tx.CodeChallenge, tx.CodeChallengeMethod = c, get("code_challenge_method")
		}
	}

	if j := get("dpop_jkt"); j != "" {
		// RFC 9449 §10: the SHA-256 thumbprint of the key the code will be redeemed with.
		if len(j) != 43 || strings.Trim(j, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return req, protocol.InvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint")
		}
		tx.DPoPJKT = j
	}

	prompt := strings.Fields(get("prompt"))
	for _, p := range prompt {
		switch p {
		case "none", "login", "consent", "select_account":
		default:
			return req, protocol.InvalidRequest("Unsupported prompt value: %s", protocol.Truncate(p, 64))
		}
	}
	if slices.Contains(prompt, "none") && len(prompt) > 1 {
		// OIDC Core §3.1.2.1: none with any other value is an error.
		return req, protocol.InvalidRequest("prompt=none cannot be combined with other values")
	}
	tx.Prompt = strings.Join(prompt, " ")
	if ma := get("max_age"); ma != "" {
		n, err := strconv.Atoi(ma)
		if err != nil || n < 0 {
			return req, protocol.InvalidRequest("max_age must be a non-negative integer")
		}
		tx.MaxAge = &n
	}

	tx.Scope = normalizeScope(get("scope"))
	tx.Nonce = get("nonce")
	tx.LoginHint = get("login_hint")
	switch sh := get("screen_hint"); sh {
	case "", "login":
	case "signup":
		tx.ScreenHint = sh
	default:
		// Unknown hints are ignored, as Auth0 ignores unknown parameters.
	}

	settings, serr := h.store.GetTenantSettings(ctx)
	if serr != nil {
		return nil, fmt.Errorf("authorize: tenant settings: %w", serr)
	}
	audience := get("audience")
	if audience == "" {
		audience = settings.DefaultAudience
	}
	if audience != "" {
		if _, err := h.store.GetResourceServerByIdentifier(ctx, audience); errors.Is(err, store.ErrNotFound) {
			return req, protocol.AccessDenied("Service not found: %s", audience)
		} else if err != nil {
			return nil, fmt.Errorf("authorize: audience: %w", err)
		}
		tx.Audience = audience
	}
	if pe, err := h.organizationParam(ctx, get, client, settings, tx); pe != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return req, pe
	}
	if conn := get("connection"); conn != "" && conn != directory(settings) {
		if ok, err := h.connectionAllowed(ctx, conn, client); err != nil {
			return nil, fmt.Errorf("authorize: %w", err)
		} else if !ok {
			return req, protocol.InvalidRequest("the connection is not enabled: %s", protocol.Truncate(conn, 128))
		}
	}
	for _, k := range keptParams {
		if v := get(k); v != "" {
			if tx.Params == nil {
				tx.Params = map[string]string{}
			}
			tx.Params[k] = v
		}
	}
	return req, nil
}

// validValue refuses what could not be stored or echoed byte for byte: invalid UTF-8, NUL, and
// values beyond maxParamLen.
func validValue(v string) bool {
	return len(v) <= maxParamLen && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
}

// normalizeScope splits on spaces and drops duplicates, keeping the requested order.
func normalizeScope(s string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

func directory(s domain.TenantSettings) string {
	if s.DefaultDirectory != "" {
		return s.DefaultDirectory
	}
	return domain.DefaultConnection
}
