package webauth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// recentRefreshTTL is how long a refresh result is reused for requests that still carry the
// refresh token it replaced (parallel requests of one browser sent before the new cookie).
const recentRefreshTTL = 30 * time.Second

// refreshGrantTimeout bounds a shared grant, which no caller's context bounds: it runs detached
// from the request that started it.
const refreshGrantTimeout = 30 * time.Second

// flight shares refresh_token grants. With refresh token rotation a second use of a rotated
// token is reuse, which revokes the whole family and logs the user out (Auth0 rotation; RFC
// 9700 §4.14.2), so:
//
//   - one grant at a time spends a given refresh token;
//   - a request identical to one in flight (same refresh token and same parameters) waits for
//     that grant's answer, and for recentRefreshTTL later identical requests get it too;
//   - a request with other parameters (a narrower scope, another audience) never gets another
//     request's token: it waits for the grant in flight, then runs its own with the refresh
//     token that grant rotated to, since the one it carries is now spent;
//   - a grant belongs to no caller: it runs on its own context, each caller stops waiting when
//     its own context ends, and an answer that arrives after every caller left is kept, so the
//     session's next request (whose cookie still carries the spent token) gets the rotated one.
type flight struct {
	now func() time.Time
	// keep is how long a rotation nobody received stays available: the session's idle lifetime,
	// after which no cookie that could need it is still valid.
	keep time.Duration

	mu      sync.Mutex
	calls   map[tokenHash]*flightCall     // the grant spending each refresh token
	recent  map[requestHash]recentRefresh // answered grants, by request
	rotated map[tokenHash]rotation        // spent refresh token → the one it rotated to
}

// tokenHash identifies a refresh token, requestHash a whole refresh request, without keeping
// the refresh token itself as a map key.
type (
	tokenHash   [32]byte
	requestHash [32]byte
)

func hashToken(rt string) tokenHash { return sha256.Sum256([]byte(rt)) }

// hashRequest covers the refresh token and every other parameter sent with it (url.Values
// encodes in key order); the length prefix keeps the two parts from running into each other.
func hashRequest(rt string, params url.Values) requestHash {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(rt)))
	h.Write(n[:])
	h.Write([]byte(rt))
	h.Write([]byte(params.Encode()))
	var out requestHash
	h.Sum(out[:0])
	return out
}

type recentRefresh struct {
	res   *refreshResult
	until time.Time
}

type rotation struct {
	next  string
	until time.Time
}

type flightCall struct {
	req     requestHash
	done    chan struct{} // closed under f.mu once res and err are set
	res     *refreshResult
	err     error
	waiters int // callers waiting for this answer; guarded by f.mu
}

// grantFunc runs the refresh_token grant presenting rt.
type grantFunc func(ctx context.Context, rt string) (*refreshResult, error)

// do returns the answer to the refresh request (rt, params), running grant at most once for
// each refresh token it presents. grant is called with the refresh token to present, which is
// rt or what rt has since rotated to, on a context detached from ctx. do returns ctx's error
// when ctx ends first; the grant goes on for the others.
func (f *flight) do(ctx context.Context, rt string, params url.Values, grant grantFunc) (*refreshResult, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[tokenHash]*flightCall)
		f.recent = make(map[requestHash]recentRefresh)
		f.rotated = make(map[tokenHash]rotation)
	}
	f.sweepLocked(f.now())
	for follows := 0; ; {
		req, tok := hashRequest(rt, params), hashToken(rt)
		if r, ok := f.recent[req]; ok {
			res := f.handOverLocked(r.res)
			f.mu.Unlock()
			return res, nil
		}
		if call, ok := f.calls[tok]; ok {
			if call.req == req {
				call.waiters++
				f.mu.Unlock()
				return f.wait(ctx, call)
			}
			// Another request is spending rt: once it is answered, look again and follow its
			// rotation if it made one.
			f.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			f.mu.Lock()
			continue
		}
		if next, ok := f.followLocked(rt); ok && follows <= len(f.rotated) {
			rt = next
			follows++
			continue
		}
		if err := ctx.Err(); err != nil {
			f.mu.Unlock()
			return nil, err // nobody would be waiting: do not spend the token
		}
		call := &flightCall{req: req, done: make(chan struct{}), waiters: 1}
		f.calls[tok] = call
		f.mu.Unlock()
		go f.run(context.WithoutCancel(ctx), call, rt, grant)
		return f.wait(ctx, call)
	}
}

// wait returns call's answer, or ctx's error when ctx ends first. An answer already there is
// taken rather than dropped.
func (f *flight) wait(ctx context.Context, call *flightCall) (*refreshResult, error) {
	select {
	case <-call.done:
	case <-ctx.Done():
		f.mu.Lock()
		select {
		case <-call.done:
		default:
			call.waiters--
			f.mu.Unlock()
			return nil, ctx.Err()
		}
		f.mu.Unlock()
	}
	if call.err != nil {
		return nil, call.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.handOverLocked(call.res), nil
}

// run performs call's grant with rt on ctx, bounded by refreshGrantTimeout, and records its
// answer. It runs on its own goroutine, so a panic becomes the grant's error.
func (f *flight) run(ctx context.Context, call *flightCall, rt string, grant grantFunc) {
	ctx, cancel := context.WithTimeout(ctx, refreshGrantTimeout)
	defer cancel()
	res, err := func() (res *refreshResult, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("webauth: refresh panicked: %v", p)
			}
		}()
		return grant(ctx, rt)
	}()
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := hashToken(rt)
	delete(f.calls, tok)
	call.res, call.err = res, err
	close(call.done)
	if err != nil {
		return
	}
	now := f.now()
	f.recent[call.req] = recentRefresh{res: res, until: now.Add(recentRefreshTTL)}
	if res.refreshToken != rt {
		r := rotation{next: res.refreshToken, until: now.Add(recentRefreshTTL)}
		if call.waiters == 0 {
			r.until = now.Add(max(f.keep, recentRefreshTTL))
		}
		f.rotated[tok] = r
	}
}

// followLocked returns the refresh token rt rotated to. A rotation kept because nobody had
// received it counts as received now: it is then kept only for the sharing window.
func (f *flight) followLocked(rt string) (string, bool) {
	tok := hashToken(rt)
	r, ok := f.rotated[tok]
	if !ok {
		return "", false
	}
	if until := f.now().Add(recentRefreshTTL); until.Before(r.until) {
		r.until = until
		f.rotated[tok] = r
	}
	return r.next, true
}

// handOverLocked returns res with the refresh token that is current now: a later grant may
// have rotated the one res brought, and a session must never keep a spent one.
func (f *flight) handOverLocked(res *refreshResult) *refreshResult {
	out := *res
	for i := 0; i <= len(f.rotated); i++ {
		next, ok := f.followLocked(out.refreshToken)
		if !ok {
			break
		}
		out.refreshToken = next
	}
	return &out
}

// sweepLocked forgets expired answers and rotations. A rotation lives at least as long as any
// answer that may need it: it is recorded with the answer or later, for at least as long, and
// followLocked never shortens it below recentRefreshTTL from now.
func (f *flight) sweepLocked(now time.Time) {
	for k, r := range f.recent {
		if !now.Before(r.until) {
			delete(f.recent, k)
		}
	}
	for k, r := range f.rotated {
		if !now.Before(r.until) {
			delete(f.rotated, k)
		}
	}
}
