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

	"github.com/gatehouse/gatehouse/internal/store"
)

// maxBodyBytes bounds a request body: the largest legitimate one is an Action (100 kB of code).
const maxBodyBytes = 1 << 20

// handler is one endpoint. It writes nothing: it returns the success status and the body to
// encode as JSON (nil for none, as with 204), or an error, which the route wrapper maps to Auth0's
// error JSON (see errorFor).
type handler func(c *call) (status int, body any, err error)

// emptyObject is the `{}` body Auth0 answers some writes with.
var emptyObject = struct{}{}

// call is one Management API request: the writer, the request, who made it, what its scopes let it
// change in the body and, for the audit, the raw body and the status written.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	who    principal
	fields *fieldScopes
	body   []byte
	status int
}

func (c *call) ctx() context.Context { return c.r.Context() }

// load fetches the entity id names; store.ErrNotFound becomes nf, Auth0's 404 for that entity.
func load[T any](ctx context.Context, get func(context.Context, string) (T, error), id string, nf *apiError) (T, error) {
	v, err := get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, nf
	}
	return v, err
}

// decode reads the body into v strictly: unknown properties, wrong JSON types and malformed JSON
// are refused with Auth0's messages, and so is a field the caller's scopes may not change (see
// fieldScopes).
func (c *call) decode(v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return refuse(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	c.body = raw
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, codeInvalidBody, "%s", decodeMessage(err))
	}
	if dec.More() {
		return refuse(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
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
func (c *call) parsePaging() (paging, error) {
	q := c.r.URL.Query()
	p := paging{Page: store.Page{PerPage: 50}}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, queryInvalid("page", "Expected a non-negative integer")
		}
		p.Page.Page = n
	}
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, queryInvalid("per_page", "Expected an integer of at least 1")
		}
		if n > 100 {
			return p, queryInvalid("per_page", "Number must be at most 100")
		}
		p.PerPage = n
	}
	b, err := c.boolParam("include_totals")
	p.IncludeTotals = b != nil && *b
	return p, err
}

// boolParam reads an optional boolean query parameter.
func (c *call) boolParam(name string) (*bool, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, queryInvalid(name, "Expected type boolean but found %q", s)
	}
	return &b, nil
}

// views renders each item of list with view, for a list body.
func views[T any](list []T, view func(T) any) []any {
	items := make([]any, len(list))
	for i, v := range list {
		items[i] = view(v)
	}
	return items
}

// asIs is the view of an item shown as it is.
func asIs[T any](v T) any { return v }

// list is an offset-paged list body: a bare array, or with include_totals the object
// {start, limit, length, total, <key>} (spec §4.3).
func (p paging) list(key string, items []any, total int) any {
	if items == nil {
		items = []any{}
	}
	if !p.IncludeTotals {
		return items
	}
	return map[string]any{
		"start": p.Offset(), "limit": p.Limit(), "length": len(items), "total": total, key: items,
	}
}

// projection applies `fields` and `include_fields` (spec §4.3) to response objects.
type projection struct {
	fields  map[string]bool
	include bool
}

func (c *call) projection() (projection, error) {
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
	b, err := c.boolParam("include_fields")
	if b != nil {
		pr.include = *b
	}
	return pr, err
}

// listQuery reads the offset paging and the projection of a list of objects that takes `fields`.
func (c *call) listQuery() (paging, projection, error) {
	p, err := c.parsePaging()
	if err != nil {
		return p, projection{}, err
	}
	pr, err := c.projection()
	return p, pr, err
}

// apply returns v itself when no fields were asked for, else the object with only (or without)
// the listed top-level properties.
func (pr projection) apply(v any) any {
	if pr.fields == nil {
		return v
	}
	return keepFields(v, func(k string) bool { return pr.fields[k] == pr.include })
}

// keepFields returns v, a response object, as a map of the top-level properties keep accepts; v
// itself when it does not encode as an object.
func keepFields(v any, keep func(string) bool) any {
	buf, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(buf, &m) != nil {
		return v
	}
	for k := range m {
		if !keep(k) {
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
