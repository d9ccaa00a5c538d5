package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The public documents (JWKS, discovery) cost the server a few microseconds each, so at 20,000
// a second on two shared cores the load generator's own cost decides the figure: net/http's
// client spends more CPU per request (two goroutines per connection, channel hand-offs, a header
// map per answer) than the server does. Over plain HTTP these scenarios therefore use a lean
// HTTP/1.1 client, as wrk does: one keep-alive connection per worker and node, a request written
// from prebuilt bytes, the answer's status line and headers read in place and its body counted
// out. Every answer is still read in full and checked (status, Content-Length or chunked
// framing), so a wrong or short answer is an error, not a faster figure. HTTPS keeps net/http.

// rawGetTimeout bounds one request, as the net/http client's Timeout does.
const rawGetTimeout = 30 * time.Second

// leanGet reports whether the scenario runs on the lean client for these targets.
func leanGet(o options) bool {
	switch o.scenario {
	case "jwks", "discovery", "jwks_revalidate":
	default:
		return false
	}
	for _, u := range o.urls {
		if p, err := url.Parse(u); err != nil || p.Scheme != "http" {
			return false
		}
	}
	return true
}

// rawGetter is one worker's client: its connections and, for jwks_revalidate, the ETag each
// node answered its first plain GET with.
type rawGetter struct {
	path       string
	revalidate bool
	conns      map[string]*rawConn
}

type rawConn struct {
	c      net.Conn
	r      *bufio.Reader
	req    []byte // the prebuilt request; with If-None-Match once the ETag is known
	host   string
	target string
}

func newRawGetter(o options) *rawGetter {
	g := &rawGetter{path: ".well-known/jwks.json", revalidate: o.scenario == "jwks_revalidate", conns: map[string]*rawConn{}}
	if o.scenario == "discovery" {
		g.path = ".well-known/openid-configuration"
	}
	return g
}

// get sends one GET to base and reads the whole answer, returning its status.
func (g *rawGetter) get(ctx context.Context, _ *http.Client, base string, _ int) (int, error) {
	rc, err := g.conn(ctx, base)
	if err != nil {
		return 0, err
	}
	_ = rc.c.SetDeadline(time.Now().Add(rawGetTimeout))
	status, etag, keep, err := rc.roundTrip()
	if err != nil || !keep {
		rc.c.Close()
		delete(g.conns, base)
	}
	if err != nil {
		return 0, err
	}
	if g.revalidate && status == http.StatusOK && etag != "" {
		if !bytes.Contains(rc.req, []byte(etag)) {
			rc.req = buildGet(rc.host, rc.target, etag)
		}
	}
	return status, nil
}

func (g *rawGetter) conn(ctx context.Context, base string) (*rawConn, error) {
	if rc := g.conns[base]; rc != nil {
		return rc, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	d := net.Dialer{Timeout: rawGetTimeout}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	rc := &rawConn{c: c, r: bufio.NewReaderSize(c, 16<<10), host: u.Host, target: u.EscapedPath() + g.path}
	rc.req = buildGet(rc.host, rc.target, "")
	g.conns[base] = rc
	return rc, nil
}

func buildGet(host, target, etag string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gatehouse-load\r\nAccept: application/json\r\n", target, host)
	if etag != "" {
		fmt.Fprintf(&b, "If-None-Match: %s\r\n", etag)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

var errFraming = errors.New("malformed HTTP answer")

// roundTrip writes the request and reads one answer whole. keep is false when the server closes
// the connection after it.
func (rc *rawConn) roundTrip() (status int, etag string, keep bool, err error) {
	if _, err = rc.c.Write(rc.req); err != nil {
		return 0, "", false, err
	}
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, "", false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, "", false, errFraming
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, "", false, errFraming
	}
	keep = line[7] == '1'
	length, chunked := -1, false
	for {
		h, err := rc.r.ReadSlice('\n')
		if err != nil {
			return 0, "", false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		colon := bytes.IndexByte(h, ':')
		if colon <= 0 {
			return 0, "", false, errFraming
		}
		name, value := h[:colon], bytes.TrimSpace(h[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, "", false, errFraming
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		case bytes.EqualFold(name, []byte("ETag")):
			etag = string(value)
		}
	}
	switch {
	case status == http.StatusNotModified || status == http.StatusNoContent || status/100 == 1:
		return status, etag, keep, nil
	case chunked:
		return status, etag, keep, rc.discardChunked()
	case length >= 0:
		_, err = rc.r.Discard(length)
		return status, etag, keep, err
	}
	return 0, "", false, errFraming // a body delimited by closing is not kept alive; never sent here
}

func (rc *rawConn) discardChunked() error {
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(line), 16, 32)
		if err != nil || n < 0 {
			return errFraming
		}
		if n == 0 { // no trailers are sent here: the last chunk ends with an empty line
			_, err = rc.r.Discard(2)
			return err
		}
		if _, err = rc.r.Discard(int(n) + 2); err != nil {
			return err
		}
	}
}

// close ends the worker's connections.
func (g *rawGetter) close() {
	for _, rc := range g.conns {
		rc.c.Close()
	}
}
