package httpserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

type outerKey struct{}

// TestRequestContext: the context a handler gets carries the request's id and client address, keeps
// every value and the cancellation of the context the request came with, and contexts derived from
// it (as handlers and the store derive them) see the same.
func TestRequestContext(t *testing.T) {
	type seen struct {
		id, derivedID, outer string
		ip                   bool
		cancelled            bool
	}
	got := make(chan seen, 1)
	srv, _ := MustServer(t, httpserver.Options{}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /ctx", func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			derived, cancel := context.WithTimeout(httpserver.WithClientID(ctx, "client-1"), time.Minute)
			defer cancel()
			s := seen{id: httpserver.RequestID(ctx), derivedID: httpserver.RequestID(derived), ip: httpserver.ClientIP(derived).IsValid()}
			s.outer, _ = derived.Value(outerKey{}).(string)
			select {
			case <-derived.Done():
				s.cancelled = true
			case <-time.After(5 * time.Second):
			}
			got <- s
		})
	})
	outer, cancel := context.WithCancel(context.WithValue(context.Background(), outerKey{}, "kept"))
	req := httptest.NewRequest(http.MethodGet, "/ctx", nil).WithContext(outer)
	cancel() // the client went away: the handler's contexts must end too
	w := serve(srv, req)
	s := <-got
	if s.id == "" || s.id != w.Header().Get("X-Request-Id") || s.derivedID != s.id {
		t.Errorf("request id %q, derived %q, header %q", s.id, s.derivedID, w.Header().Get("X-Request-Id"))
	}
	if !s.ip || s.outer != "kept" || !s.cancelled {
		t.Errorf("client address %v, outer value %q, cancelled %v", s.ip, s.outer, s.cancelled)
	}
}
