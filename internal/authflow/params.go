package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Response modes (OAuth 2.0 Multiple Response Type Encoding Practices §2.1; Form Post Response Mode §2).
const (
	ModeQuery    = "query"
	ModeFragment = "fragment"
	ModeFormPost = "form_post"
)

// maxParamLen bounds every /authorize parameter value: long enough for any real state, nonce or URL,
// short enough that a transaction row stays small.
const maxParamLen = 4096

// pageError is a refusal shown on Gatehouse's own origin: the client or redirect_uri could not be
// trusted, so nothing may be sent to the redirect_uri (RFC 6749 §4.1.2.1).
type pageError struct {
	heading     string
	code        string
	description string
	details     []string
}

// oauthError is sent to the validated redirect_uri as error and error_description (RFC 6749 §4.1.2.1).
type oauthError struct {
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidRequest(format string, args ...any) *oauthError {
	return &oauthError{code: "invalid_request", description: fmt.Sprintf(format, args...)}
}

// Callback mismatch text, verbatim as Auth0 shows it (spec §1.2).
const (
	callbackMismatchHeading = "Callback URL mismatch."
	callbackMismatchBody    = "The provided redirect_uri is not in the list of allowed callback URLs."
	callbackMismatchHelp    = "Please go to the Application Settings page and make sure you are sending a valid callback url from your application."
)

// RedirectURIAllowed reports whether raw may receive an authorization response for c: it must equal
// one registered callback byte for byte — no case folding, no trailing-slash, dot-segment or
// percent-encoding normalisation, no prefix or wildcard matching (RFC 9700 §4.1.3, RFC 6749 §3.1.2.3).
func RedirectURIAllowed(c *domain.Client, raw string) bool {
	return raw != "" && c != nil && c.HasCallback(raw)
}

// codeChallengePattern: a base64url string of 43 to 128 characters (RFC 7636 §4.2; S256 gives 43).
var codeChallengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43,128}$`)

// keptParams are accepted parameters carried in the transaction for Actions (event.transaction);
// anything else (auth0Client, …) is ignored (spec §1.1).
var keptParams = []string{"ui_locales", "acr_values", "connection"}

// authRequest is a validated /authorize request.
type authRequest struct {
	client *domain.Client
	tx     domain.LoginTransaction // everything from the request; no id, binding or times yet
}

// parseAuthorize validates an /authorize query. The client and redirect_uri are checked first; any
// problem with them is a pageError. After that, problems are oauthErrors and req carries the
// RedirectURI, ResponseMode and State they must be delivered with. err is a storage failure.
func (h *Handler) parseAuthorize(ctx context.Context, rawQuery string) (req *authRequest, perr *pageError, oerr *oauthError, err error) {
	vals, qerr := url.ParseQuery(rawQuery)
	if qerr != nil {
		return nil, &pageError{heading: "Invalid request.", code: "invalid_request", description: "The query string is malformed."}, nil, nil
	}
	one := func(name string) (string, *pageError) {
		v := vals[name]
		switch {
		case len(v) == 0 || v[0] == "":
			return "", &pageError{heading: "Invalid request.", code: "invalid_request", description: "Missing required parameter: " + name}
		case len(v) > 1:
			return "", &pageError{heading: "Invalid request.", code: "invalid_request", description: "Duplicate parameter: " + name}
		}
		return v[0], nil
	}
	clientID, pe := one("client_id")
	if pe != nil {
		return nil, pe, nil, nil
	}
	if len(clientID) > 128 || !utf8.ValidString(clientID) || strings.ContainsRune(clientID, 0) {
		return nil, &pageError{heading: "Invalid request.", code: "invalid_request", description: "Unknown client: " + strings.ToValidUTF8(truncate(clientID, 128), "\uFFFD")}, nil, nil
	}
	client, gerr := h.store.GetClient(ctx, clientID)
	if errors.Is(gerr, store.ErrNotFound) {
		return nil, &pageError{heading: "Invalid request.", code: "invalid_request", description: "Unknown client: " + clientID}, nil, nil
	}
	if gerr != nil {
		return nil, nil, nil, fmt.Errorf("authorize: client: %w", gerr)
	}
	// RFC 6749 §3.1.2.3 and OIDC Core §3.1.2.1: Gatehouse requires redirect_uri even when a client has
	// one callback, so the code is always bound to an exact URI the token request must repeat.
	redirectURI, pe := one("redirect_uri")
	if pe != nil {
		return nil, pe, nil, nil
	}
	if !RedirectURIAllowed(client, redirectURI) {
		return nil, &pageError{heading: callbackMismatchHeading, description: callbackMismatchBody, details: []string{callbackMismatchHelp}}, nil, nil
	}

	// From here on errors go back to the application. First settle how: response_mode and state.
	req = &authRequest{client: client}
	tx := &req.tx
	tx.ClientID, tx.RedirectURI, tx.ResponseMode = client.ClientID, redirectURI, ModeQuery
	if v := vals["response_mode"]; len(v) == 1 && (v[0] == ModeQuery || v[0] == ModeFragment || v[0] == ModeFormPost) {
		tx.ResponseMode = v[0]
	}
	if v := vals["state"]; len(v) == 1 && validValue(v[0]) {
		tx.State = v[0]
	}

	// RFC 6749 §3.1: parameters must not be included more than once — any parameter.
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if len(vals[k]) > 1 {
			return req, nil, invalidRequest("Duplicate parameter: %s", truncate(k, 64)), nil
		}
	}
	for _, k := range names {
		if !validValue(vals[k][0]) {
			return req, nil, invalidRequest("Invalid value for parameter: %s", truncate(k, 64)), nil
		}
	}
	get := func(name string) string {
		if v := vals[name]; len(v) == 1 {
			return v[0]
		}
		return ""
	}

	switch m := get("response_mode"); m {
	case "", ModeQuery, ModeFragment, ModeFormPost:
	case "web_message":
		// auth0-spa-js silent authentication in an iframe; not offered yet (no framed pages).
		return req, nil, invalidRequest("Unsupported response_mode: web_message"), nil
	default:
		return req, nil, invalidRequest("Unsupported response_mode: %s", m), nil
	}

	rt := get("response_type")
	if rt == "" {
		return req, nil, invalidRequest("Missing required parameter: response_type"), nil
	}
	if rt != "code" {
		// Implicit and hybrid types (token, id_token and their combinations) are refused for every
		// client: the decisions block allows them only for a client that enables the implicit grant,
		// and no client can enable it yet, so one refusal covers both cases.
		return req, nil, &oauthError{code: "unsupported_response_type", description: "Unsupported response type: " + truncate(rt, 64)}, nil
	}
	tx.ResponseType = rt
	if !client.HasGrant(domain.GrantAuthorizationCode) {
		return req, nil, &oauthError{code: "unauthorized_client", description: "Grant type 'authorization_code' not allowed for the client."}, nil
	}

	if oe := parsePKCE(client, get("code_challenge"), get("code_challenge_method"), tx); oe != nil {
		return req, nil, oe, nil
	}

	prompt := strings.Fields(get("prompt"))
	for _, p := range prompt {
		switch p {
		case "none", "login", "consent", "select_account":
		default:
			return req, nil, invalidRequest("Unsupported prompt value: %s", truncate(p, 64)), nil
		}
	}
	if slices.Contains(prompt, "none") && len(prompt) > 1 {
		// OIDC Core §3.1.2.1: none with any other value is an error.
		return req, nil, invalidRequest("prompt=none cannot be combined with other values"), nil
	}
	tx.Prompt = strings.Join(prompt, " ")
	if ma := get("max_age"); ma != "" {
		n, err := strconv.Atoi(ma)
		if err != nil || n < 0 {
			return req, nil, invalidRequest("max_age must be a non-negative integer"), nil
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
		return nil, nil, nil, fmt.Errorf("authorize: tenant settings: %w", serr)
	}
	audience := get("audience")
	if audience == "" {
		audience = settings.DefaultAudience
	}
	if audience != "" {
		if _, err := h.store.GetResourceServerByIdentifier(ctx, audience); errors.Is(err, store.ErrNotFound) {
			return req, nil, &oauthError{code: "access_denied", description: "Service not found: " + audience}, nil
		} else if err != nil {
			return nil, nil, nil, fmt.Errorf("authorize: audience: %w", err)
		}
		tx.Audience = audience
	}
	if get("organization") != "" || get("invitation") != "" {
		// No client can use organizations yet; ignoring the parameter would hand the app a token
		// without the org_id it asked for, so the request is refused instead.
		return req, nil, invalidRequest("organization is not supported for this client"), nil
	}
	if conn := get("connection"); conn != "" && conn != directory(settings) {
		return req, nil, invalidRequest("the connection is not enabled: %s", truncate(conn, 128)), nil
	}
	for _, k := range keptParams {
		if v := get(k); v != "" {
			if tx.Params == nil {
				tx.Params = map[string]string{}
			}
			tx.Params[k] = v
		}
	}
	return req, nil, nil, nil
}

// parsePKCE applies RFC 7636 with the Gatehouse policy: S256 only, required for public clients.
// A challenge without a method means plain (RFC 7636 §4.3), which is refused.
func parsePKCE(c *domain.Client, challenge, method string, tx *domain.LoginTransaction) *oauthError {
	switch {
	case challenge == "" && method != "":
		return invalidRequest("Missing required parameter: code_challenge")
	case challenge == "":
		if !c.IsConfidential() {
			return invalidRequest("Missing required parameter: code_challenge (PKCE with S256 is required for public clients)")
		}
		return nil
	case method == "" || method == "plain":
		return invalidRequest("code_challenge_method must be S256; plain is not supported")
	case method != "S256":
		return invalidRequest("Unsupported code_challenge_method: %s", truncate(method, 32))
	case !codeChallengePattern.MatchString(challenge):
		return invalidRequest("code_challenge must be 43 to 128 base64url characters")
	}
	tx.CodeChallenge, tx.CodeChallengeMethod = challenge, method
	return nil
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
