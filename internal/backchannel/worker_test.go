package backchannel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

type fakeSigner struct{ n atomic.Int32 }

func (s *fakeSigner) LogoutToken(_ context.Context, clientID, sub, sid string) (string, error) {
	s.n.Add(1)
	return "token-for-" + clientID + "-" + sub + "-" + sid, nil
}

// TestWorkerRetriesUntilAccepted: a client that fails first gets the logout token again after the
// backoff, freshly signed, until it answers 2xx; the entry is then settled and not sent again.
func TestWorkerRetriesUntilAccepted(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	var (
		mu       sync.Mutex
		received []string
		fail     = true
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		received = append(received, r.PostForm.Get("logout_token"))
		if fail {
			fail = false
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	now := time.Now().UTC().Add(time.Second).Truncate(time.Microsecond)
	clock := func() time.Time { return now }
	signer := &fakeSigner{}
	w := &backchannel.Worker{Store: st, Signer: signer, Now: clock, AllowInternal: true,
		Backoff: func(int) time.Duration { return time.Minute }}
	l := &domain.BackchannelLogout{ClientID: "app", URL: srv.URL + "/bcl", UserID: "auth0|u1", SessionID: "sid1", Initiator: domain.LogoutInitiatorRP}
	if err := st.EnqueueBackchannelLogout(ctx, l); err != nil {
		t.Fatal(err)
	}
	if sent, err := w.RunOnce(ctx); err != nil || sent != 0 {
		t.Fatalf("first pass: sent %d, %v", sent, err)
	}
	got, _ := st.GetBackchannelLogout(ctx, l.ID)
	if got.SentAt != nil || got.LastError == "" || !got.NextAttemptAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("after a 503: %+v", got)
	}
	if sent, _ := w.RunOnce(ctx); sent != 0 {
		t.Fatal("retried before its time")
	}
	now = now.Add(time.Minute)
	if sent, err := w.RunOnce(ctx); err != nil || sent != 1 {
		t.Fatalf("second pass: sent %d, %v", sent, err)
	}
	now = now.Add(time.Hour)
	if sent, _ := w.RunOnce(ctx); sent != 0 {
		t.Fatal("a delivered logout token was sent again")
	}
	if len(received) != 2 || received[1] != "token-for-app-auth0|u1-sid1" || signer.n.Load() != 2 {
		t.Fatalf("received %q, signed %d", received, signer.n.Load())
	}
}

// TestWorkerRefusesInternalURLs: outside `gatehouse dev` a logout token never goes to http:// or to
// a loopback address; such an entry is given up at once.
func TestWorkerRefusesInternalURLs(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	hit := atomic.Int32{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Add(1) }))
	defer srv.Close()
	w := &backchannel.Worker{Store: st, Signer: &fakeSigner{}}
	for _, u := range []string{srv.URL + "/bcl", "http://example.com/bcl"} {
		l := &domain.BackchannelLogout{ClientID: "app", URL: u, UserID: "u", Initiator: domain.LogoutInitiatorRP}
		if err := st.EnqueueBackchannelLogout(ctx, l); err != nil {
			t.Fatal(err)
		}
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := st.GetBackchannelLogout(ctx, l.ID)
		if got.FailedAt == nil || got.SentAt != nil {
			t.Errorf("%s: %+v, want given up", u, got)
		}
	}
	if hit.Load() != 0 {
		t.Errorf("the loopback server was reached %d times", hit.Load())
	}
}
