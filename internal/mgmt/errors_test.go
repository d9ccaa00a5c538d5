package mgmt_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Every error the wrapper writes, byte for byte, with the headers that go with it.
func TestErrorBodiesExact(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, auth, method, path, body string
		status                         int
		want                           string
	}{
		{"no token", "", "GET", "/clients", "", 401,
			`{"statusCode":401,"error":"Unauthorized","message":"Missing authentication","errorCode":"missing_authentication"}`},
		{"not bearer", "Basic abc", "GET", "/clients", "", 401,
			`{"statusCode":401,"error":"Unauthorized","message":"Bad HTTP authentication header format","errorCode":"invalid_token"}`},
		{"forged", "Bearer forged", "GET", "/clients", "", 401,
			`{"statusCode":401,"error":"Unauthorized","message":"Invalid token","errorCode":"invalid_token"}`},
		{"expired", "Bearer expired", "GET", "/clients", "", 401,
			`{"statusCode":401,"error":"Unauthorized","message":"Expired token","errorCode":"token_expired"}`},
		{"unknown path", "Bearer admin", "GET", "/nope", "", 404,
			`{"statusCode":404,"error":"Not Found","message":"Not Found"}`},
		{"entity", "Bearer admin", "GET", "/roles/rol_none", "", 404,
			`{"statusCode":404,"error":"Not Found","message":"The role does not exist.","errorCode":"inexistent_role"}`},
		{"bad json", "Bearer admin", "POST", "/roles", "{", 400,
			`{"statusCode":400,"error":"Bad Request","message":"Invalid request payload JSON format","errorCode":"invalid_body"}`},
		{"missing field", "Bearer admin", "POST", "/roles", "{}", 400,
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Missing required property: name' on property name.","errorCode":"invalid_body"}`},
		{"bad query", "Bearer admin", "GET", "/roles?per_page=101", "", 400,
			`{"statusCode":400,"error":"Bad Request","message":"Query validation error: 'Number must be at most 100' on property per_page.","errorCode":"invalid_query_string"}`},
		{"too large", "Bearer admin", "POST", "/roles", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, 413,
			`{"statusCode":413,"error":"Request Entity Too Large","message":"Payload content length greater than maximum allowed: 1048576"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rd io.Reader
			if tc.body != "" {
				rd = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, e.srv.URL+"/api/v2"+tc.path, rd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			if res.StatusCode != tc.status || buf.String() != tc.want {
				t.Fatalf("got %d %s\nwant %d %s", res.StatusCode, buf.String(), tc.status, tc.want)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			wantAuth := ""
			if tc.status == 401 {
				wantAuth = `Bearer realm="` + issuer + `api/v2/"`
			}
			if got := res.Header.Get("WWW-Authenticate"); got != wantAuth {
				t.Errorf("WWW-Authenticate %q, want %q", got, wantAuth)
			}
		})
	}
}

// failingStore fails the calls a test names with a cause that must never reach the caller.
type failingStore struct {
	store.Store
}

var errDisk = errors.New("disk on fire at /var/lib/secret")

func (failingStore) ListRoles(context.Context, string, store.Page) ([]*domain.Role, int, error) {
	return nil, 0, errDisk
}

func (failingStore) CreateRole(context.Context, *domain.Role) error { return errDisk }

// An unexpected error is a fixed 500; its cause goes to the log, not the body, and a failed write
// records no sapi event and tells no cache to drop anything.
func TestInternalErrorIsLoggedNotSent(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	changed := 0
	e := newEnv(t, func(o *mgmt.Options) {
		o.Store = failingStore{o.Store}
		o.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		o.Changed = func() { mu.Lock(); changed++; mu.Unlock() }
	})
	want := `{"statusCode":500,"error":"Internal Server Error","message":"Internal Server Error"}`
	for _, tc := range []struct {
		method, path string
		body         any
	}{{"GET", "/roles", nil}, {"POST", "/roles", map[string]any{"name": "r"}}} {
		r := e.call(t, "admin", tc.method, tc.path, tc.body)
		if r.status != 500 || string(r.raw) != want {
			t.Fatalf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
	if !strings.Contains(logged.String(), errDisk.Error()) {
		t.Errorf("cause not logged: %s", logged.String())
	}
	if changed != 0 {
		t.Errorf("Changed called %d times after failed writes", changed)
	}
	logs, _, err := e.st.ListLogs(context.Background(), store.LogFilter{Type: "sapi"}, store.Page{PerPage: 10})
	if err != nil || len(logs) != 0 {
		t.Fatalf("sapi events after failed writes: %d %v", len(logs), err)
	}
	// A successful write calls Changed once.
	e.must(t, 201, "POST", "/clients", map[string]any{"name": "ok"})
	if changed != 1 {
		t.Errorf("Changed called %d times after one write", changed)
	}
}
