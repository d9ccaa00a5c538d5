package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Params are the parameters of one request, each present once: RFC 6749 §3.1 and §3.2 say request
// and response parameters must not be included more than once, and a repeated one is refused
// rather than resolved (first or last wins is how parameter pollution starts).
type Params map[string]string

// Has reports whether name was sent, possibly empty.
func (p Params) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// Single returns vals with one value per name. A repeated name, the first in sorted order, is
// `Duplicate parameter: <name>`.
func Single(vals url.Values) (Params, *Error) {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	p := make(Params, len(vals))
	for _, k := range names {
		if len(vals[k]) > 1 {
			return nil, InvalidRequest("Duplicate parameter: %s", Truncate(k, 64))
		}
		p[k] = vals[k][0]
	}
	return p, nil
}

// ParseQuery parses a query string, or a form body read as one, into single-valued Params. It
// decodes as url.ParseQuery does (";" is not a separator and makes the query malformed).
func ParseQuery(raw string) (Params, *Error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, InvalidRequest("The query string is malformed.")
	}
	return Single(vals)
}

// MaxBodyBytes bounds a token, revoke or userinfo request body.
const MaxBodyBytes = 64 << 10

// ParseBody reads the application/x-www-form-urlencoded or application/json body of a token
// endpoint request (spec §1.1) into Params. A parameter repeated in the body is invalid_request
// (RFC 6749 §3.1, §3.2), worded as Auth0 words it there; the query string is not read (RFC 6749
// §3.2 sends token request parameters in the body). Unknown parameters are kept, for the caller to
// ignore.
func ParseBody(r *http.Request) (Params, *Error) {
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, InvalidRequest("Invalid Content-Type")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, InvalidRequest("Request body too large")
		}
		return nil, InvalidRequest("Could not read the request body")
	}
	switch mt {
	case "application/json":
		return parseJSON(body)
	case "application/x-www-form-urlencoded", "":
		return parseForm(body)
	}
	return nil, InvalidRequest("Content-Type must be application/x-www-form-urlencoded or application/json")
}

// repeatedBody is the token endpoint's refusal of a repeated body parameter, in Auth0's words.
func repeatedBody(name string) *Error {
	return InvalidRequest("Parameter %s is included more than once", Sanitize(name))
}

// parseForm splits on "&" alone, as HTML forms and RFC 6749 clients encode.
func parseForm(body []byte) (Params, *Error) {
	p := Params{}
	for len(body) > 0 {
		var pair []byte
		pair, body, _ = bytes.Cut(body, []byte{'&'})
		if len(pair) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(pair, []byte{'='})
		key, err1 := url.QueryUnescape(string(k))
		val, err2 := url.QueryUnescape(string(v))
		if err1 != nil || err2 != nil {
			return nil, InvalidRequest("Malformed request body")
		}
		if p.Has(key) {
			return nil, repeatedBody(key)
		}
		p[key] = val
	}
	return p, nil
}

// parseJSON reads a flat JSON object. String, number and boolean values are kept as text; null is
// absent; nested objects and arrays are skipped (they can only be parameters Gatehouse ignores). A
// repeated key is refused, as a repeated form parameter is.
func parseJSON(body []byte) (Params, *Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	bad := InvalidRequest("Malformed JSON body")
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad
	}
	p := Params{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		key := t.(string)
		if p.Has(key) {
			return nil, repeatedBody(key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bad
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, bad
		}
		switch x := v.(type) {
		case string:
			p[key] = x
		case json.Number:
			p[key] = x.String()
		case bool:
			p[key] = strconv.FormatBool(x)
		default: // null, objects and arrays: not a parameter Gatehouse reads
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, bad
	}
	return p, nil
}

// Sanitize keeps a parameter name or value fit to echo in an error description or a log line: at
// most 64 bytes, control characters replaced.
func Sanitize(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	out := []rune{}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = '?'
		}
		out = append(out, r)
	}
	return string(out)
}

// Truncate bounds an echoed value to n bytes, cut at a character boundary and marked with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
