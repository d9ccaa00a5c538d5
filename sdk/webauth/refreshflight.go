package webauth

import (
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

// flight shares refresh_token grants. With refresh token rotation a second use of a rotated
// token is reuse, which revokes the whole family and logs the user out (Auth0 rotation; RFC
// 9700 §4.14.2), so:
//
//   - one grant at a time spends a given refresh token;
//   - a request identical to one in flight (same refresh token and same parameters) waits for
//     that grant's answer, and for recentRefreshTTL later identical requests get it too;
//   - a request with other parameters (a narrower scope, another audience) never gets another
//     request's token: it waits for the grant in flight, then runs its own with the refresh
//     token that grant rotated to, since the one it carries is now spent.
type flight struct {
	now func() time.Time

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
	req  requestHash
	done chan struct{}
	res  *refreshResult
	err  error
}

// do returns the answer to the refresh request (rt, params), running grant at most once for
// each refresh token it presents. grant is called with the refresh token to present, which is
// rt or what rt has since rotated to.
func (f *flight) do(rt string, params url.Values, grant func(rt string) (*refreshResult, error)) (*refreshResult, error) {
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
			f.mu.Unlock()
			<-call.done
			if call.req == req {
				if call.err != nil {
					return nil, call.err
				}
				f.mu.Lock()
				res := f.handOverLocked(call.res)
				f.mu.Unlock()
				return res, nil
			}
			// Another request spent rt: look again, and follow its rotation if it made one.
			f.mu.Lock()
			continue
		}
		if r, ok := f.rotated[tok]; ok && follows <= len(f.rotated) {
			rt = r.next
			follows++
			continue
		}
		call := &flightCall{req: req, done: make(chan struct{})}
		f.calls[tok] = call
		f.mu.Unlock()
		return f.run(call, rt, grant)
	}
}

// run performs call's grant with rt and publishes its answer.
func (f *flight) run(call *flightCall, rt string, grant func(string) (*refreshResult, error)) (*refreshResult, error) {
	res, err := func() (res *refreshResult, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("webauth: refresh panicked: %v", p)
			}
		}()
		return grant(rt)
	}()
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := hashToken(rt)
	delete(f.calls, tok)
	call.res, call.err = res, err
	close(call.done)
	if err != nil {
		return nil, err
	}
	until := f.now().Add(recentRefreshTTL)
	f.recent[call.req] = recentRefresh{res: res, until: until}
	if res.refreshToken != rt {
		f.rotated[tok] = rotation{next: res.refreshToken, until: until}
	}
	return f.handOverLocked(res), nil
}

// handOverLocked returns res with the refresh token that is current now: a later grant may
// have rotated the one res brought, and a session must never keep a spent one.
func (f *flight) handOverLocked(res *refreshResult) *refreshResult {
	out := *res
	for i := 0; i <= len(f.rotated); i++ {
		r, ok := f.rotated[hashToken(out.refreshToken)]
		if !ok {
			break
		}
		out.refreshToken = r.next
	}
	return &out
}

// sweepLocked forgets answers and rotations older than recentRefreshTTL. A rotation lives at
// least as long as any answer that may need it: it is recorded with the answer or later.
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
