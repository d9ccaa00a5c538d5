package actions

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/gatehouse/gatehouse/internal/netguard"
)

// FetchOptions bounds an action's outbound HTTP (fetch, and axios over it). Zero values take
// the defaults noted per field.
type FetchOptions struct {
	// AllowPrivate lets actions reach loopback, private and link-local addresses (gatehouse
	// dev, where the app receiving a sync runs on the same machine). Off in production: there
	// only the hosts a Bound's FetchAllowHosts names may resolve to such addresses.
	AllowPrivate bool
	// MaxResponseBytes caps one response body (after decompression); 1 MiB.
	MaxResponseBytes int64
	// MaxRequestBytes caps one request body; 1 MiB.
	MaxRequestBytes int64
	// CallTimeout bounds one request (connect, headers and body); 10 s, and never past the
	// trigger's deadline.
	CallTimeout time.Duration
	// MaxCalls bounds the requests of one trigger execution; 50.
	MaxCalls int
	// MaxRedirects bounds the redirects one request follows; 5.
	MaxRedirects int
}

const (
	defaultMaxResponse  = 1 << 20
	defaultMaxRequest   = 1 << 20
	defaultCallTimeout  = 10 * time.Second
	defaultMaxCalls     = 50
	defaultMaxRedirects = 5
	// maxFetchHeaders bounds the request headers an action may send.
	maxFetchHeaders = 100
)

func (o FetchOptions) withDefaults() FetchOptions {
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = defaultMaxResponse
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = defaultMaxRequest
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = defaultCallTimeout
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = defaultMaxCalls
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = defaultMaxRedirects
	}
	return o
}

// transports keeps one HTTP transport per allow-list, so a connection opened to a host one
// allow-list trusted is never reused under another, and connections are reused across
// executions (a fetch to a warm host costs no handshake).
type transports struct {
	policy netguard.Policy
	mu     sync.Mutex
	byList map[string]*http.Transport
}

const maxTransports = 16

func (t *transports) get(allow []string) *http.Transport {
	list := slices.Clone(allow)
	for i := range list {
		list[i] = strings.ToLower(strings.TrimSpace(list[i]))
	}
	slices.Sort(list)
	list = slices.Compact(list)
	key := strings.Join(list, ",")
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr, ok := t.byList[key]; ok {
		return tr
	}
	if t.byList == nil || len(t.byList) >= maxTransports {
		for _, old := range t.byList {
			old.CloseIdleConnections()
		}
		t.byList = map[string]*http.Transport{}
	}
	tr := &http.Transport{
		Proxy:                  nil, // never the environment's proxy: it would connect on the tenant's behalf
		DialContext:            t.policy.Dialer(list),
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        60 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	t.byList[key] = tr
	return tr
}

// fetchRequest is what the JavaScript side of fetch hands to Go, already flattened to
// primitives: nothing here calls back into the action's code.
type fetchRequest struct {
	URL      string
	Method   string
	Headers  [][2]string
	Body     []byte
	HasBody  bool
	Redirect string // follow, error, manual
	Timeout  time.Duration
}

// installFetch adds the native half of fetch: start a request, abort it.
func (ex *execution) installFetch(vm *goja.Runtime, l *loop, natives *goja.Object, b Bound) {
	opts := ex.r.fetch
	_ = natives.Set("fetch", func(c goja.FunctionCall) goja.Value {
		req := ex.parseFetchArgs(vm, c, opts)
		if ex.fetches >= opts.MaxCalls {
			panic(newError(vm, "RangeError", fmt.Sprintf("an execution may make at most %d requests", opts.MaxCalls)))
		}
		ex.fetches++
		p, resolve, reject := vm.NewPromise()
		ctx, cancel := context.WithTimeout(l.ctx, min(opts.CallTimeout, req.Timeout))
		id := l.start(vm, &asyncOp{cancel: cancel})
		client := &http.Client{
			Transport: ex.r.transports.get(b.FetchAllowHosts),
			CheckRedirect: func(r *http.Request, via []*http.Request) error {
				switch req.Redirect {
				case "manual":
					return http.ErrUseLastResponse
				case "error":
					return errors.New("redirect mode is set to error")
				}
				if len(via) > opts.MaxRedirects {
					return fmt.Errorf("more than %d redirects", opts.MaxRedirects)
				}
				if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
					return fmt.Errorf("redirect to a %s: URL", r.URL.Scheme)
				}
				return nil
			},
		}
		go func() {
			res, err := doFetch(ctx, client, req, opts.MaxResponseBytes)
			stopped := ctx.Err()
			cancel()
			l.post(completion{id: id, run: func() error {
				if err != nil {
					return reject(fetchError(vm, stopped, err))
				}
				return resolve(res.toJS(vm))
			}})
		}()
		o := vm.NewObject()
		_ = o.Set("promise", p)
		_ = o.Set("id", id)
		return o
	})
	_ = natives.Set("abort", func(c goja.FunctionCall) goja.Value {
		id := c.Argument(0).ToInteger()
		if op, ok := l.ops[id]; ok && op.cancel != nil {
			op.cancel() // the request ends with context.Canceled and settles as an AbortError
		}
		return goja.Undefined()
	})
}

// parseFetchArgs reads fetch's native arguments (url, method, headers, bodyKind, body,
// redirect, timeoutMs) as primitives, refusing what cannot be sent.
func (ex *execution) parseFetchArgs(vm *goja.Runtime, c goja.FunctionCall, opts FetchOptions) fetchRequest {
	typeErr := func(format string, a ...any) { panic(vm.NewTypeError(fmt.Sprintf(format, a...))) }
	req := fetchRequest{URL: c.Argument(0).String(), Method: strings.ToUpper(c.Argument(1).String()), Redirect: c.Argument(5).String()}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		typeErr("fetch failed: %q is not an http(s) URL", truncateRunes(req.URL, 200))
	}
	if u.User != nil {
		typeErr("fetch failed: a URL with credentials cannot be fetched")
	}
	switch req.Method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		typeErr("fetch failed: method %q is not supported", truncateRunes(req.Method, 20))
	}
	switch req.Redirect {
	case "follow", "error", "manual":
	default:
		typeErr("fetch failed: redirect must be follow, error or manual")
	}
	if h, ok := c.Argument(2).(*goja.Object); ok {
		n := toLength(h.Get("length"))
		if n > maxFetchHeaders {
			typeErr("fetch failed: at most %d request headers", maxFetchHeaders)
		}
		for i := int64(0); i < n; i++ {
			pair, ok := h.Get(fmt.Sprint(i)).(*goja.Object)
			if !ok {
				typeErr("fetch failed: malformed headers")
			}
			req.Headers = append(req.Headers, [2]string{pair.Get("0").String(), pair.Get("1").String()})
		}
	}
	switch kind := c.Argument(3).String(); kind {
	case "none":
	case "text", "base64":
		s := c.Argument(4).String()
		if int64(len(s)) > 2*opts.MaxRequestBytes {
			typeErr("fetch failed: request body is larger than %d bytes", opts.MaxRequestBytes)
		}
		req.Body, req.HasBody = []byte(s), true
		if kind == "base64" {
			req.Body, err = base64.StdEncoding.DecodeString(s)
			if err != nil {
				typeErr("fetch failed: malformed body")
			}
		}
		if int64(len(req.Body)) > opts.MaxRequestBytes {
			typeErr("fetch failed: request body is larger than %d bytes", opts.MaxRequestBytes)
		}
		if req.Method == "GET" || req.Method == "HEAD" {
			typeErr("Request with GET/HEAD method cannot have body.")
		}
	default:
		typeErr("fetch failed: malformed body")
	}
	req.Timeout = opts.CallTimeout
	if ms := c.Argument(6).ToFloat(); ms > 0 && ms == ms {
		req.Timeout = min(req.Timeout, time.Duration(ms*float64(time.Millisecond)))
	}
	return req
}

// fetchResult is a response read in full (within the size cap) on the request's goroutine.
type fetchResult struct {
	status     int
	statusText string
	url        string
	redirected bool
	headers    [][2]string
	body       []byte
}

// hopHeaders are set by the transport; an action may not set them.
var hopHeaders = map[string]bool{"host": true, "content-length": true, "connection": true, "transfer-encoding": true,
	"keep-alive": true, "upgrade": true, "te": true, "trailer": true, "proxy-authorization": true, "proxy-connection": true}

func doFetch(ctx context.Context, client *http.Client, req fetchRequest, maxBody int64) (*fetchResult, error) {
	var body io.Reader
	if req.HasBody {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, err
	}
	for _, h := range req.Headers {
		if hopHeaders[strings.ToLower(h[0])] {
			continue
		}
		hr.Header.Add(h[0], h[1])
	}
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "Gatehouse-Actions")
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBody {
		return nil, fmt.Errorf("response body is larger than %d bytes", maxBody)
	}
	res := &fetchResult{status: resp.StatusCode, statusText: strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode))),
		url: resp.Request.URL.String(), redirected: resp.Request != hr, body: data}
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		res.headers = append(res.headers, [2]string{strings.ToLower(k), strings.Join(resp.Header[k], ", ")})
	}
	return res, nil
}

func (r *fetchResult) toJS(vm *goja.Runtime) goja.Value {
	o := vm.NewObject()
	_ = o.Set("status", r.status)
	_ = o.Set("statusText", r.statusText)
	_ = o.Set("url", r.url)
	_ = o.Set("redirected", r.redirected)
	hs := make([]any, len(r.headers))
	for i, h := range r.headers {
		hs[i] = vm.NewArray(h[0], h[1])
	}
	_ = o.Set("headers", vm.NewArray(hs...))
	_ = o.Set("body", string(r.body))
	_ = o.Set("bodyBase64", func(goja.FunctionCall) goja.Value {
		return vm.ToValue(base64.StdEncoding.EncodeToString(r.body))
	})
	return o
}

// fetchError is the rejection a failed request settles with: a TimeoutError or AbortError
// when the request was stopped, otherwise undici's "TypeError: fetch failed" with the cause.
func fetchError(vm *goja.Runtime, stopped, err error) goja.Value {
	var name, msg string
	switch {
	case errors.Is(stopped, context.DeadlineExceeded):
		name, msg = "TimeoutError", "The operation was aborted due to timeout"
	case errors.Is(stopped, context.Canceled):
		name, msg = "AbortError", "This operation was aborted"
	default:
		name, msg = "TypeError", "fetch failed: "+describeFetchErr(err)
	}
	ctor := "Error"
	if name == "TypeError" {
		ctor = "TypeError"
	}
	e := newError(vm, ctor, msg)
	if name != ctor {
		_ = e.Set("name", name)
	}
	return e
}

// describeFetchErr names the cause without the Go plumbing around it.
func describeFetchErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, netguard.ErrForbidden) {
		return "destination not allowed: a private, loopback or reserved address (add the host to the tenant's Actions allow-list to reach it)"
	}
	return truncateRunes(err.Error(), 300)
}
