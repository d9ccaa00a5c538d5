package protocol_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	e := protocol.ServerError(errors.New("db password is hunter2"))
	protocol.WriteJSON(w, e)
	if w.Code != 500 || w.Body.String() != `{"error":"server_error","error_description":"Internal error"}` {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	h := w.Header()
	if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" || h.Get("Content-Length") != "61" {
		t.Errorf("headers %v", h)
	}
	if !errors.Is(e, e.Cause) || !strings.Contains(e.Error(), "hunter2") {
		t.Errorf("the cause is for the log: %v", e)
	}
	w = httptest.NewRecorder()
	protocol.WriteJSON(w, protocol.InvalidRequest("Parameter <%s> is included more than once", "a&b"))
	if w.Code != 400 || w.Body.String() != `{"error":"invalid_request","error_description":"Parameter \u003ca\u0026b\u003e is included more than once"}` {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestWriteBearerError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		e         *protocol.Error
		sent      bool
		challenge string
	}{
		{"no token: no error in the challenge", protocol.InvalidToken("Missing access token"), false, `Bearer realm="https://t/"`},
		{"bad token", protocol.InvalidToken(`bad "sig"`), true, `Bearer realm="https://t/", error="invalid_token", error_description="bad 'sig'"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			protocol.WriteBearerError(w, "https://t/", tc.e, tc.sent)
			if w.Code != 401 || w.Header().Get("WWW-Authenticate") != tc.challenge {
				t.Errorf("%d %q", w.Code, w.Header().Get("WWW-Authenticate"))
			}
			if !strings.Contains(w.Body.String(), `"error":"invalid_token"`) || w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("body %s", w.Body)
			}
		})
	}
}

func TestWriteRedirect(t *testing.T) {
	e := protocol.AccessDenied("user is blocked")
	for _, tc := range []struct {
		mode, uri, location string
		page                bool
	}{
		{protocol.ModeQuery, "https://app/cb?x=1", "https://app/cb?x=1&error=access_denied&error_description=user+is+blocked&state=s+1", false},
		{"", "https://app/cb", "https://app/cb?error=access_denied&error_description=user+is+blocked&state=s+1", false},
		{protocol.ModeFragment, "https://app/cb", "https://app/cb#error=access_denied&error_description=user+is+blocked&state=s+1", false},
		{protocol.ModeFormPost, "https://app/cb", "", true},
		{protocol.ModeWebMessage, "https://app", "", true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			w := httptest.NewRecorder()
			var got *protocol.ResponsePage
			protocol.WriteRedirect(w, tc.mode, tc.uri, e.Params("s 1"), func(p protocol.ResponsePage) {
				got = &p
				w.WriteHeader(http.StatusOK)
			})
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("cacheable")
			}
			if !tc.page {
				if w.Code != http.StatusFound || w.Header().Get("Location") != tc.location || got != nil {
					t.Errorf("%d %q", w.Code, w.Header().Get("Location"))
				}
				return
			}
			want := []protocol.FormField{{"error", "access_denied"}, {"error_description", "user is blocked"}, {"state", "s 1"}}
			if got == nil || got.Target != tc.uri || got.Mode != tc.mode || len(got.Fields) != 3 || w.Header().Get("Location") != "" {
				t.Fatalf("page %+v", got)
			}
			for i := range want {
				if got.Fields[i] != want[i] {
					t.Errorf("field %d = %v, want %v", i, got.Fields[i], want[i])
				}
			}
		})
	}
	if p := e.Params(""); p.Has("state") {
		t.Error("an absent state is not sent")
	}
}

func TestAppendQuery(t *testing.T) {
	p := url.Values{"code": {"abc"}, "state": {"a b&c"}}
	tests := []struct{ in, want string }{
		{"https://app/cb", "https://app/cb?code=abc&state=a+b%26c"},
		{"https://app/cb?x=1", "https://app/cb?x=1&code=abc&state=a+b%26c"},
		{"https://app/cb?", "https://app/cb?code=abc&state=a+b%26c"},
		{"https://app/cb?x=%2F", "https://app/cb?x=%2F&code=abc&state=a+b%26c"},
		{"https://app/cb?x=1&", "https://app/cb?x=1&code=abc&state=a+b%26c"},
		{"https://app/cb#frag", "https://app/cb?code=abc&state=a+b%26c#frag"},
	}
	for _, tt := range tests {
		if got := protocol.AppendQuery(tt.in, p); got != tt.want {
			t.Errorf("AppendQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorPage(t *testing.T) {
	e := protocol.InvalidRequest("Unknown client: x")
	if p := e.Page("Invalid request."); p.Heading != "Invalid request." || p.Code != "invalid_request" || p.Description != "Unknown client: x" {
		t.Errorf("%+v", p)
	}
	e = &protocol.Error{Status: 400, Heading: "Callback URL mismatch.", Description: "d", Details: []string{"help"}, Cause: errors.New("hidden")}
	if p := e.Page("Invalid request."); p.Heading != "Callback URL mismatch." || p.Code != "" || len(p.Details) != 1 {
		t.Errorf("%+v", p)
	}
	if protocol.As(errors.New("x")).Status != 500 || protocol.As(fmtWrap(e)) != e {
		t.Error("As")
	}
}

func fmtWrap(e error) error { return &wrapped{e} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }
