package authflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// DBSignupPath is auth0-js's signup call (spec §1.9).
const DBSignupPath = "/dbconnections/signup"

// maxSignupBody bounds /dbconnections/signup's body: a handful of short fields and up to ten short
// metadata values.
const maxSignupBody = 16 << 10

// dbSignupBody is what auth0-js (WebAuth.signup, Authentication.dbConnection.signup) sends. Unknown
// fields are ignored, as on every Authentication API endpoint (spec §1.1).
type dbSignupBody struct {
	ClientID     string            `json:"client_id"`
	Connection   string            `json:"connection"`
	Email        string            `json:"email"`
	Password     string            `json:"password"`
	Username     string            `json:"username"`
	GivenName    string            `json:"given_name"`
	FamilyName   string            `json:"family_name"`
	Name         string            `json:"name"`
	Nickname     string            `json:"nickname"`
	Picture      string            `json:"picture"`
	UserMetadata map[string]string `json:"user_metadata"`
}

// dbError is the legacy error shape of the /dbconnections endpoints (spec §1.9):
// {name, code, description, statusCode}, plus message and policy for a weak password.
type dbError struct {
	Name        string `json:"name"`
	Message     string `json:"message,omitempty"`
	Code        string `json:"code"`
	Description any    `json:"description"`
	Policy      string `json:"policy,omitempty"`
	StatusCode  int    `json:"statusCode"`
}

func badSignup(code, description string) *dbError {
	return &dbError{Name: "BadRequestError", Code: code, Description: description, StatusCode: http.StatusBadRequest}
}

// passwordRefusal is Auth0's answer to a password the policy refuses: for a weak one the report
// (description.rules) and the policy text, for the others the message as description.
func passwordRefusal(v *passwordpolicy.Violation) *dbError {
	e := &dbError{Name: v.Name, Message: v.Message, Code: "invalid_password", Description: v.Message, StatusCode: http.StatusBadRequest}
	if v.Report != nil {
		e.Description, e.Policy = v.Report, v.Policy
	}
	return e
}

// errSignupRefused is the one answer for an email (or username) already registered: Auth0's
// recorded "invalid_signup", which tells nobody which addresses have accounts, as /u/signup doesn't.
var errSignupRefused = badSignup("invalid_signup", "Invalid sign up")

func writeDB(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readSignup reads a JSON or form body.
func readSignup(w http.ResponseWriter, r *http.Request) (dbSignupBody, *dbError) {
	var b dbSignupBody
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSignupBody))
	if err != nil {
		return b, badSignup("invalid_body", "The request body is too large or could not be read.")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&b); err != nil {
			return b, badSignup("invalid_body", "The body must be a JSON object; user_metadata values must be strings.")
		}
	case "application/x-www-form-urlencoded", "":
		q, err := url.ParseQuery(string(raw))
		if err != nil {
			return b, badSignup("invalid_body", "The form body could not be read.")
		}
		for k, dst := range map[string]*string{"client_id": &b.ClientID, "connection": &b.Connection, "email": &b.Email,
			"password": &b.Password, "username": &b.Username, "given_name": &b.GivenName, "family_name": &b.FamilyName,
			"name": &b.Name, "nickname": &b.Nickname, "picture": &b.Picture} {
			if len(q[k]) > 1 {
				return b, badSignup("invalid_body", "Parameter "+k+" is included more than once.")
			}
			*dst = q.Get(k)
		}
	default:
		return b, badSignup("invalid_body", "Content-Type must be application/json or application/x-www-form-urlencoded.")
	}
	return b, nil
}

// dbSignup is POST /dbconnections/signup: create a user in a database connection, under its rules,
// without signing them in. 200 {_id, email, email_verified, …the profile fields sent}.
func (h *Handler) dbSignup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, derr := readSignup(w, r)
	if derr != nil {
		writeDB(w, derr.StatusCode, derr)
		return
	}
	switch {
	case b.ClientID == "":
		writeDB(w, 400, badSignup("invalid_request", "Missing required parameter: client_id"))
		return
	case b.Connection == "":
		writeDB(w, 400, badSignup("invalid_request", "Missing required parameter: connection"))
		return
	case b.Email == "":
		writeDB(w, 400, badSignup("invalid_request", "Missing required parameter: email"))
		return
	case b.Password == "":
		writeDB(w, 400, badSignup("invalid_request", "Missing required parameter: password"))
		return
	case len(b.UserMetadata) > 10:
		writeDB(w, 400, badSignup("invalid_request", "user_metadata holds at most 10 properties"))
		return
	}
	client, err := h.store.GetClient(ctx, b.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		writeDB(w, 400, badSignup("invalid_client", "Unknown client: "+sanitize(b.ClientID)))
		return
	}
	if err != nil {
		h.dbInternal(w, r, err)
		return
	}
	protocol.AllowOrigin(w, r, client)
	conn, err := h.store.GetConnectionByName(ctx, b.Connection)
	if errors.Is(err, store.ErrNotFound) {
		writeDB(w, 400, badSignup("invalid_connection", "Connection does not exist"))
		return
	}
	if err != nil {
		h.dbInternal(w, r, err)
		return
	}
	user := &domain.User{UserID: domain.NewUserID(), Email: b.Email, Username: b.Username, Connection: conn.Name,
		GivenName: b.GivenName, FamilyName: b.FamilyName, Name: b.Name, Nickname: b.Nickname, Picture: b.Picture}
	if len(b.UserMetadata) > 0 {
		user.UserMetadata = make(map[string]any, len(b.UserMetadata))
		for k, v := range b.UserMetadata {
			user.UserMetadata[k] = v
		}
	}
	fail := func(e *dbError, reason string) {
		h.record(r, audit.TypeSignupFailed, reason, client, &domain.User{Email: domain.NormalizeEmail(b.Email), Connection: conn.Name})
		writeDB(w, e.StatusCode, e)
	}
	switch {
	case !conn.EnabledFor(client.ClientID):
		fail(badSignup("unauthorized", "The connection is not enabled for this client."), "connection not enabled for the client")
		return
	case conn.Options.DisableSignup:
		// Auth0's words for a connection with "Disable Sign Ups" on (auth0/auth0.js#356, #679).
		fail(badSignup("operation_not_allowed", "public signup is disabled"), "public signup is disabled")
		return
	case conn.Options.RequiresUsername && b.Username == "":
		fail(badSignup("invalid_request", "Missing required parameter: username"), "username required")
		return
	}
	domain.ApplyUserDefaults(user)
	if err := user.Validate(); err != nil {
		fail(badSignup("invalid_signup", sentence(strings.ReplaceAll(err.Error(), "\"", "'"))), "invalid profile")
		return
	}
	policy := passwordpolicy.New(conn.Options)
	if v := policy.Check(b.Password, user); v != nil {
		fail(passwordRefusal(v), v.Error())
		return
	}
	if refused := h.signupAttackChecks(ctx, r, client, user, b.Password); refused != nil {
		if refused.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(refused.retryAfter))
		}
		name := "BadRequestError"
		if refused.status == http.StatusTooManyRequests {
			name = "TooManyRequestsError"
		}
		writeDB(w, refused.status, &dbError{Name: name, Code: refused.code, Description: refused.message, StatusCode: refused.status})
		return
	}
	if refused, err := h.preUserRegistration(ctx, r, client, user); err != nil {
		h.dbInternal(w, r, err)
		return
	} else if refused != nil {
		writeDB(w, refused.status, &dbError{Name: "BadRequestError", Code: refused.code, Description: refused.message, StatusCode: refused.status})
		return
	}
	hash, err := h.hasher.Hash(b.Password)
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", "1")
		writeDB(w, http.StatusServiceUnavailable, &dbError{Name: "ServiceUnavailableError", Code: "too_many_requests",
			Description: "Too many requests. Please try again in a moment.", StatusCode: http.StatusServiceUnavailable})
		return
	}
	if err != nil {
		h.dbInternal(w, r, err)
		return
	}
	user.PasswordHash = hash
	queued, err := h.createSignedUpUser(ctx, user, policy, client)
	if errors.Is(err, store.ErrConflict) || domain.ErrorCode(err) == domain.CodeConflict {
		fail(errSignupRefused, "user already exists")
		return
	}
	if err != nil {
		h.dbInternal(w, r, fmt.Errorf("signup: create user: %w", err))
		return
	}
	if queued {
		h.kickMail()
	}
	h.record(r, audit.TypeSignup, "Successful signup", client, user)
	h.postUserRegistration(ctx, r, client, user)
	_, id, _ := strings.Cut(user.UserID, "|")
	out := map[string]any{"_id": id, "email": user.Email, "email_verified": user.EmailVerified}
	for k, v := range map[string]string{"username": b.Username, "given_name": b.GivenName, "family_name": b.FamilyName,
		"name": b.Name, "nickname": b.Nickname, "picture": b.Picture} {
		if v != "" {
			out[k] = v
		}
	}
	if len(b.UserMetadata) > 0 {
		out["user_metadata"] = b.UserMetadata
	}
	writeDB(w, http.StatusOK, out)
}

func (h *Handler) dbInternal(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.ErrorContext(r.Context(), "database signup failed", "err", err)
	writeDB(w, http.StatusInternalServerError, &dbError{Name: "InternalServerError", Code: "server_error",
		Description: "The request could not be completed.", StatusCode: http.StatusInternalServerError})
}

// dbSignupPreflight answers the browser's CORS preflight for auth0-js's fetch by the shared rule
// (protocol/cors.go); the POST itself carries Access-Control-Allow-Origin only for an origin the
// client lists.
func (h *Handler) dbSignupPreflight(w http.ResponseWriter, r *http.Request) {
	if err := protocol.Preflight(w, r, h.knownOrigins, http.MethodPost); err != nil {
		h.logger.ErrorContext(r.Context(), "preflight: client origins", "err", err)
	}
}

// sanitize keeps a caller's value fit to echo: at most 64 bytes, no control characters.
func sanitize(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
