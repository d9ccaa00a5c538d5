package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxBodyBytes bounds a request body: the largest legitimate one is an Action (100 kB of code).
const maxBodyBytes = 1 << 20

// apiError is Auth0's Management API error body (spec §4.2).
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

// Error codes Auth0 uses (spec §4.2).
const (
	codeInvalidBody       = "invalid_body"
	codeInvalidQuery      = "invalid_query_string"
	codeInvalidURI        = "invalid_uri"
	codeInsufficientScope = "insufficient_scope"
	codeTooManyRequests   = "too_many_requests"
	codeNotSupported      = "operation_not_supported"
)

// call is one Management API request: the writer, the request, who made it, what its scopes let it
// change in the body and, for the audit, the raw body and the status written.
type call struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	who    principal
	fields *fieldScopes
	body   []byte
	status int
}

func (c *call) header(status int) {
	c.status = status
	c.w.WriteHeader(status)
}

// json writes v as the response body with status.
func (c *call) json(status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		c.fail(fmt.Errorf("mgmt: encode response: %w", err))
		return
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.header(status)
	_, _ = c.w.Write(buf)
}

// empty writes the `{}` body Auth0 answers some writes with.
func (c *call) empty(status int) { c.json(status, struct{}{}) }

func (c *call) noContent() { c.header(http.StatusNoContent) }

// errorf writes an Auth0 error body.
func (c *call) errorf(status int, code, format string, args ...any) {
	writeError(c.w, status, code, fmt.Sprintf(format, args...))
	c.status = status
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	buf, _ := json.Marshal(apiError{StatusCode: status, Error: http.StatusText(status), Message: message, ErrorCode: code})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

// invalid writes a 400 invalid_body naming a property, in Auth0's wording.
func (c *call) invalid(field, format string, args ...any) {
	c.errorf(http.StatusBadRequest, codeInvalidBody, "%s", payloadMessage(domain.Errors{domain.Invalidf(field, format, args...)}))
}

// queryInvalid writes a 400 for a bad query-string parameter.
func (c *call) queryInvalid(param, format string, args ...any) {
	c.errorf(http.StatusBadRequest, codeInvalidQuery, "Query validation error: '%s' on property %s.", fmt.Sprintf(format, args...), param)
}

// notFound messages Auth0 answers with (spec §4.2).
type notFound struct{ message, code string }

var (
	nfClient         = notFound{"The client does not exist", "inexistent_client"}
	nfResourceServer = notFound{"The resource server does not exist", "inexistent_resource_server"}
	nfUser           = notFound{"The user does not exist.", "inexistent_user"}
	nfRole           = notFound{"The role does not exist.", "inexistent_role"}
	nfGrant          = notFound{"The client grant does not exist.", "inexistent_client_grant"}
	nfAction         = notFound{"That action does not exist.", ""}
	nfVersion        = notFound{"That action version does not exist.", ""}
	nfLog            = notFound{"The log does not exist.", "inexistent_log"}
	nfKey            = notFound{"The signing key does not exist.", "inexistent_signing_key"}
	nfTrigger        = notFound{"That trigger does not exist.", ""}
)

func (c *call) notFound(nf notFound) { c.errorf(http.StatusNotFound, nf.code, "%s", nf.message) }

// load fetches the entity id names; when it cannot, it answers the request itself (404 with nf, or the
// store's error) and reports false.
func load[T any](c *call, get func(context.Context, string) (T, error), id string, nf notFound) (T, bool) {
	v, err := get(c.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(nf)
		return v, false
	}
	if err != nil {
		c.fail(err)
		return v, false
	}
	return v, true
}

// fail maps an error to a response: domain rule violations → 400, conflicts → 409, not found → 404,
// anything else → 500 with a fixed text (the cause is logged, never shown).
func (c *call) fail(err error) {
	var des domain.Errors
	var de *domain.Error
	switch {
	case errors.As(err, &des) && domain.ErrorCode(err) == domain.CodeInvalid:
		c.errorf(http.StatusBadRequest, codeInvalidBody, "%s", payloadMessage(des))
	case errors.As(err, &de) && de.Code == domain.CodeInvalid:
		c.errorf(http.StatusBadRequest, codeInvalidBody, "%s", payloadMessage(domain.Errors{de}))
	case errors.Is(err, store.ErrConflict) || domain.ErrorCode(err) == domain.CodeConflict:
		msg := "The resource already exists."
		if errors.As(err, &de) {
			msg = de.Error()
		}
		c.errorf(http.StatusConflict, "conflict", "%s", msg)
	case errors.Is(err, store.ErrNotFound) || domain.ErrorCode(err) == domain.CodeNotFound:
		c.errorf(http.StatusNotFound, "", "Not Found")
	default:
		c.h.log.ErrorContext(c.r.Context(), "management api request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		c.errorf(http.StatusInternalServerError, "", "Internal Server Error")
	}
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

// decode reads the body into v strictly: unknown properties, wrong JSON types and malformed JSON
// are refused with Auth0's messages, and so is a field the caller's scopes may not change (see
// fieldScopes). It writes the error and returns false on failure.
func (c *call) decode(v any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.errorf(http.StatusRequestEntityTooLarge, "", "Payload content length greater than maximum allowed: %d", maxBodyBytes)
			return false
		}
		c.errorf(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
		return false
	}
	c.body = raw
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.errorf(http.StatusBadRequest, codeInvalidBody, "%s", decodeMessage(err))
		return false
	}
	if dec.More() {
		c.errorf(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
		return false
	}
	return c.checkFieldScopes()
}

func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := jsonTypeName(te.Type)
		if te.Field == "" {
			return fmt.Sprintf("Payload validation error: 'Expected type %s but found type %s'.", want, te.Value)
		}
		return fmt.Sprintf("Payload validation error: 'Expected type %s but found type %s' on property %s.", want, te.Value, te.Field)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("Payload validation error: 'Additional properties not allowed: %s'.", strings.Trim(name, `"`))
	}
	return "Invalid request payload JSON format"
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.Kind().String()
}

// paging is a parsed page/per_page/include_totals (spec §4.3).
type paging struct {
	store.Page
	IncludeTotals bool
}

// parsePaging reads offset paging. per_page above 100 is refused, as Auth0 does.
func (c *call) parsePaging() (paging, bool) {
	q := c.r.URL.Query()
	p := paging{Page: store.Page{PerPage: 50}}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			c.queryInvalid("page", "Expected a non-negative integer")
			return p, false
		}
		p.Page.Page = n
	}
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			c.queryInvalid("per_page", "Expected an integer of at least 1")
			return p, false
		}
		if n > 100 {
			c.queryInvalid("per_page", "Number must be at most 100")
			return p, false
		}
		p.PerPage = n
	}
	b, ok := c.boolParam("include_totals")
	if !ok {
		return p, false
	}
	p.IncludeTotals = b != nil && *b
	return p, true
}

// boolParam reads an optional boolean query parameter.
func (c *call) boolParam(name string) (*bool, bool) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return nil, true
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		c.queryInvalid(name, "Expected type boolean but found %q", s)
		return nil, false
	}
	return &b, true
}

// list writes an offset-paged list: a bare array, or with include_totals the object
// {start, limit, length, total, <key>} (spec §4.3).
func (c *call) list(p paging, key string, items []any, total int) {
	if items == nil {
		items = []any{}
	}
	if !p.IncludeTotals {
		c.json(http.StatusOK, items)
		return
	}
	c.json(http.StatusOK, map[string]any{
		"start": p.Offset(), "limit": p.Limit(), "length": len(items), "total": total, key: items,
	})
}

// projection applies `fields` and `include_fields` (spec §4.3) to response objects.
type projection struct {
	fields  map[string]bool
	include bool
}

func (c *call) projection() (projection, bool) {
	q := c.r.URL.Query()
	pr := projection{include: true}
	if f := q.Get("fields"); f != "" {
		pr.fields = map[string]bool{}
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				pr.fields[name] = true
			}
		}
	}
	b, ok := c.boolParam("include_fields")
	if !ok {
		return pr, false
	}
	if b != nil {
		pr.include = *b
	}
	return pr, true
}

// apply returns v itself when no fields were asked for, else the object with only (or without)
// the listed top-level properties.
func (pr projection) apply(v any) any {
	if pr.fields == nil {
		return v
	}
	buf, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(buf, &m) != nil {
		return v
	}
	for k := range m {
		if pr.fields[k] != pr.include {
			delete(m, k)
		}
	}
	return m
}

// isoTime renders Auth0's timestamps: ISO-8601 in UTC with milliseconds.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func isoTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return isoTime(*t)
}
