package mgmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// apiError is an explicit refusal: the status, Auth0's errorCode ("" for none) and the message
// the caller reads. Handlers, decoding, paging and authentication return one; errorFor turns every
// other error into one.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

// refuse returns an explicit refusal.
func refuse(status int, code, format string, args ...any) error {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// queryInvalid is the 400 for a bad query-string parameter.
func queryInvalid(param, format string, args ...any) error {
	return refuse(http.StatusBadRequest, codeInvalidQuery, "Query validation error: '%s' on property %s.", fmt.Sprintf(format, args...), param)
}

// onConflict returns refusal in place of err when err is a store conflict; other errors pass on.
func onConflict(err, refusal error) error {
	if errors.Is(err, store.ErrConflict) {
		return refusal
	}
	return err
}

// Error codes Auth0 uses (spec §4.2).
const (
	codeInvalidBody       = "invalid_body"
	codeInvalidQuery      = "invalid_query_string"
	codeInvalidPaging     = "invalid_paging" // GET /users beyond the first 1,000 results
	codeInvalidURI        = "invalid_uri"
	codeInsufficientScope = "insufficient_scope"
	codeTooManyRequests   = "too_many_requests"
	codeNotSupported      = "operation_not_supported"
)

// The 401s, one per thing wrong with the bearer token, and the 429.
var (
	errMissingAuth   = &apiError{http.StatusUnauthorized, "missing_authentication", "Missing authentication"}
	errBadAuthHeader = &apiError{http.StatusUnauthorized, "invalid_token", "Bad HTTP authentication header format"}
	errInvalidToken  = &apiError{http.StatusUnauthorized, "invalid_token", "Invalid token"}
	errExpiredToken  = &apiError{http.StatusUnauthorized, "token_expired", "Expired token"}
	errRateLimited   = &apiError{http.StatusTooManyRequests, codeTooManyRequests, "Global limit has been reached"}
	errNoRoute       = &apiError{http.StatusNotFound, "", "Not Found"}
)

// The 404s Auth0 answers for an entity the path names (spec §4.2).
var (
	nfClient         = &apiError{http.StatusNotFound, "inexistent_client", "The client does not exist"}
	nfResourceServer = &apiError{http.StatusNotFound, "inexistent_resource_server", "The resource server does not exist"}
	nfUser           = &apiError{http.StatusNotFound, "inexistent_user", "The user does not exist."}
	nfRole           = &apiError{http.StatusNotFound, "inexistent_role", "The role does not exist."}
	nfGrant          = &apiError{http.StatusNotFound, "inexistent_client_grant", "The client grant does not exist."}
	nfAction         = &apiError{http.StatusNotFound, "", "That action does not exist."}
	nfVersion        = &apiError{http.StatusNotFound, "", "That action version does not exist."}
	nfLog            = &apiError{http.StatusNotFound, "inexistent_log", "The log does not exist."}
	nfKey            = &apiError{http.StatusNotFound, "inexistent_signing_key", "The signing key does not exist."}
	nfTrigger        = &apiError{http.StatusNotFound, "", "That trigger does not exist."}
)

// errorFor maps what a handler returned to the refusal Auth0 answers: an apiError as it is; a
// body over maxBodyBytes → 413; domain rule violations → 400; conflicts → 409; not found → 404;
// anything else → 500 with a fixed text. internal reports the last case, whose cause the caller
// logs and never shows.
func errorFor(err error) (e *apiError, internal bool) {
	var (
		ae  *apiError
		mbe *http.MaxBytesError
		des domain.Errors
		de  *domain.Error
	)
	switch {
	case errors.As(err, &ae):
		return ae, false
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, "", fmt.Sprintf("Payload content length greater than maximum allowed: %d", maxBodyBytes)}, false
	case errors.As(err, &des) && domain.ErrorCode(err) == domain.CodeInvalid:
		return &apiError{http.StatusBadRequest, codeInvalidBody, payloadMessage(des)}, false
	case errors.As(err, &de) && de.Code == domain.CodeInvalid:
		return &apiError{http.StatusBadRequest, codeInvalidBody, payloadMessage(domain.Errors{de})}, false
	case errors.Is(err, store.ErrConflict) || domain.ErrorCode(err) == domain.CodeConflict:
		msg := "The resource already exists."
		if errors.As(err, &de) {
			msg = de.Error()
		}
		return &apiError{http.StatusConflict, "conflict", msg}, false
	case errors.Is(err, store.ErrNotFound) || domain.ErrorCode(err) == domain.CodeNotFound:
		return &apiError{http.StatusNotFound, "", "Not Found"}, false
	case errors.Is(err, password.ErrBusy):
		// Password hashing is at its memory budget (respond adds Retry-After).
		return &apiError{http.StatusServiceUnavailable, "", "Service Unavailable"}, false
	case protocol.Unavailable(err):
		// The database cannot be reached: a clean 503 the caller retries (respond adds Retry-After);
		// the cause is still logged.
		return &apiError{http.StatusServiceUnavailable, "", "Service Unavailable"}, true
	}
	return &apiError{http.StatusInternalServerError, "", "Internal Server Error"}, true
}

// payloadMessage renders rule violations as Auth0 does:
// `Payload validation error: '<detail>' on property <path>.` (several joined with "; ").
func payloadMessage(es domain.Errors) string {
	parts := make([]string, 0, len(es))
	for _, e := range es {
		if e.Field == "" {
			parts = append(parts, "'"+e.Message+"'")
		} else {
			parts = append(parts, "'"+e.Message+"' on property "+e.Field)
		}
	}
	return "Payload validation error: " + strings.Join(parts, "; ") + "."
}

// errorBody is Auth0's Management API error body (spec §4.2).
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

func (e *apiError) body() []byte {
	buf, _ := json.Marshal(errorBody{StatusCode: e.status, Error: http.StatusText(e.status), Message: e.message, ErrorCode: e.code})
	return buf
}
