package actionexec_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// heldVersionStore holds the first read of an action version until release is closed,
// and then answers as a driver does for a request whose context ended meanwhile.
type heldVersionStore struct {
	store.Store
	entered chan struct{} // closed when the first version read starts
	release chan struct{}
	once    sync.Once
}

func (s *heldVersionStore) GetActionVersion(ctx context.Context, actionID, versionID string) (*domain.ActionVersion, error) {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return s.Store.GetActionVersion(ctx, actionID, versionID)
}

// waitingInProgramCache reports whether some goroutine is parked in the program cache
// itself, waiting for a load another caller started.
func waitingInProgramCache() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.SplitN(g, "\n", 3)
		if len(lines) >= 2 && strings.Contains(lines[1], "actionexec.(*programCache).") {
			return true
		}
	}
	return false
}

// A sign-in cancelled while its Action version loads fails alone: another sign-in
// waiting for the same version still runs it.
func TestCancelledLoadDoesNotFailOtherWaiters(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "guide", domain.TriggerPostLogin, guideCode(t)))
	held := &heldVersionStore{Store: e.st, entered: make(chan struct{}), release: make(chan struct{})}
	ex := actionexec.New(actionexec.Options{
		Store:       held,
		Runtime:     actions.NewRuntime(actions.Options{DefaultTimeout: 20 * time.Second, MemoryLimitBytes: 32 << 20}),
		Audit:       &audit.Recorder{Store: e.st},
		TenantID:    "default",
		BindingsTTL: -1,
	})
	t.Cleanup(ex.Close)

	firstCtx, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	firstErr := make(chan error, 1)
	go func() {
		_, err := ex.PostLogin(firstCtx, e.loginInput(e.admin))
		firstErr <- err
	}()
	<-held.entered

	type result struct {
		claims map[string]any
		err    error
	}
	second := make(chan result, 1)
	go func() {
		out, err := ex.PostLogin(context.Background(), e.loginInput(e.member))
		if err != nil {
			second <- result{err: err}
			return
		}
		second <- result{claims: out.IDTokenClaims}
	}()
	// The second sign-in joins the load the first one started (bounded wait: it only
	// makes the old failure certain; the outcome below does not depend on it).
	for i := 0; i < 400 && !waitingInProgramCache(); i++ {
		time.Sleep(25 * time.Millisecond)
	}

	cancelFirst()
	close(held.release)
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sign-in: %v, want context.Canceled", err)
	}
	r := <-second
	if r.err != nil {
		t.Fatalf("second sign-in failed with the first one's cancellation: %v", r.err)
	}
	if r.claims[rolesClaim] == nil {
		t.Fatalf("second sign-in did not run the Action: %v", r.claims)
	}
}
