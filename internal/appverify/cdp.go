package appverify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// cdpBrowser speaks the Chrome DevTools Protocol to a headless Chromium it started, over the pipe
// Chromium offers with --remote-debugging-pipe (it reads commands on fd 3 and writes answers and
// events on fd 4, each message a JSON object ended by a NUL byte). A sign-in needs seven of the
// protocol's methods, so they are spoken here directly rather than through a client library
// generated for the whole protocol: such a library (chromedp, which the browser tests use) adds
// some sixty packages to the gatehouse binary every node runs, and their pages to its memory.
type cdpBrowser struct {
	cmd    *exec.Cmd
	toB    *os.File // our end of Chromium's fd 3
	fromB  *os.File // our end of Chromium's fd 4
	nextID atomic.Int64
	wmu    sync.Mutex

	mu      sync.Mutex
	pending map[int64]chan cdpAnswer
	err     error // why the pipe ended, once it has
	done    chan struct{}
}

type cdpAnswer struct {
	Result json.RawMessage
	Err    error
}

// startCDP starts the browser at path with args (--remote-debugging-pipe is added).
func startCDP(path string, args []string) (*cdpBrowser, error) {
	cmdR, toB, err := os.Pipe() // Chromium reads commands from cmdR (its fd 3)
	if err != nil {
		return nil, err
	}
	fromB, ansW, err := os.Pipe() // Chromium writes answers to ansW (its fd 4)
	if err != nil {
		cmdR.Close()
		toB.Close()
		return nil, err
	}
	cmd := exec.Command(path, append(args, "--remote-debugging-pipe")...)
	cmd.ExtraFiles = []*os.File{cmdR, ansW} // fds 3 and 4
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{cmdR, toB, fromB, ansW} {
			f.Close()
		}
		return nil, err
	}
	cmdR.Close()
	ansW.Close()
	b := &cdpBrowser{cmd: cmd, toB: toB, fromB: fromB, pending: map[int64]chan cdpAnswer{}, done: make(chan struct{})}
	go b.read()
	return b, nil
}

// read delivers each answer to the call waiting for its id; events are not listened for.
func (b *cdpBrowser) read() {
	r := bufio.NewReaderSize(b.fromB, 64<<10)
	var err error
	for {
		var msg []byte
		if msg, err = r.ReadBytes(0); err != nil {
			break
		}
		var m struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue // an event, or something this driver does not ask for
		}
		a := cdpAnswer{Result: m.Result}
		if m.Error != nil {
			a.Err = fmt.Errorf("%s (%d)", m.Error.Message, m.Error.Code)
		}
		b.mu.Lock()
		ch := b.pending[m.ID]
		delete(b.pending, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
		err = errors.New("the browser closed its DevTools pipe")
	}
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
	close(b.done)
}

// call sends method with params to the browser, or to a page when session is set, and decodes
// the result into out (when not nil).
func (b *cdpBrowser) call(ctx context.Context, session, method string, params, out any) error {
	id := b.nextID.Add(1)
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ch := make(chan cdpAnswer, 1)
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return b.err
	}
	b.pending[id] = ch
	b.mu.Unlock()
	b.wmu.Lock()
	_, err = b.toB.Write(append(body, 0))
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case a := <-ch:
		if a.Err != nil {
			return fmt.Errorf("%s: %w", method, a.Err)
		}
		if out != nil {
			return json.Unmarshal(a.Result, out)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: %w", method, b.err)
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// eval runs a JavaScript expression in the page and decodes its value into out.
func (b *cdpBrowser) eval(ctx context.Context, session, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.call(ctx, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		if e.Exception != nil && e.Exception.Description != "" {
			return errors.New(e.Exception.Description)
		}
		return errors.New(e.Text)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// newPage opens a blank page (of the browser's --window-size) and returns the session that drives it.
func (b *cdpBrowser) newPage(ctx context.Context) (string, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return "", err
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &s); err != nil {
		return "", err
	}
	return s.SessionID, nil
}

// close asks the browser to exit, then makes sure it has.
func (b *cdpBrowser) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_ = b.call(ctx, "", "Browser.close", nil, nil)
	cancel()
	b.toB.Close()
	_ = b.cmd.Process.Kill()
	_ = b.cmd.Wait()
	select { // the reader sees the pipe end once the browser has gone
	case <-b.done:
	case <-time.After(2 * time.Second):
	}
	b.fromB.Close()
}
