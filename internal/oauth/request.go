package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/oauth/grant"
)

// maxBodyBytes bounds a token, revoke or userinfo request body.
const maxBodyBytes = 64 << 10

// params are the body parameters of one request, each present at most once.
type params map[string]string

// parseBody reads an application/x-www-form-urlencoded or application/json body (spec §1.1) into
// params. A parameter repeated in the body is invalid_request (RFC 6749 §3.1, §3.2); the query string
// is not read (RFC 6749 §3.2 sends token request parameters in the body). Unknown parameters are kept
// and ignored by the caller.
func parseBody(r *http.Request) (params, *grant.Error) {
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, grant.InvalidRequest("Invalid Content-Type")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, grant.InvalidRequest("Request body too large")
		}
		return nil, grant.InvalidRequest("Could not read the request body")
	}
	switch mt {
	case "application/json":
		return parseJSON(body)
	case "application/x-www-form-urlencoded", "":
		return parseForm(body)
	}
	return nil, grant.InvalidRequest("Content-Type must be application/x-www-form-urlencoded or application/json")
}

func parseForm(body []byte) (params, *grant.Error) {
	p := params{}
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
			return nil, grant.InvalidRequest("Malformed request body")
		}
		if _, dup := p[key]; dup {
			return nil, grant.InvalidRequest("Parameter %s is included more than once", sanitize(key))
		}
		p[key] = val
	}
	return p, nil
}

// parseJSON reads a flat JSON object. String, number and boolean values are kept as text; null is
// absent; nested objects and arrays are skipped (they can only be parameters Gatehouse ignores). A
// repeated key is refused, as a repeated form parameter is.
func parseJSON(body []byte) (params, *grant.Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	bad := grant.InvalidRequest("Malformed JSON body")
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad
	}
	p := params{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		key := t.(string)
		if _, dup := p[key]; dup {
			return nil, grant.InvalidRequest("Parameter %s is included more than once", sanitize(key))
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

// sanitize keeps a parameter name fit to echo in an error description.
func sanitize(s string) string {
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

// grantRequest maps the token endpoint's parameters onto a grant.Request (client still to be set).
func (p params) grantRequest() *grant.Request {
	_, scopeSent := p["scope"]
	return &grant.Request{
		GrantType:    p["grant_type"],
		Code:         p["code"],
		RedirectURI:  p["redirect_uri"],
		CodeVerifier: p["code_verifier"],
		RefreshToken: p["refresh_token"],
		Audience:     p["audience"],
		Scope:        p["scope"],
		ScopeSent:    scopeSent,
		Organization: p["organization"],
	}
}
