package appverify

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a fake browser: started with GATEHOUSE_FAKE_CDP=1 it reads
// NUL-ended commands on fd 3 and answers on fd 4 as Chromium does with --remote-debugging-pipe,
// sending an event before each answer and an error for an unknown method.
func TestMain(m *testing.M) {
	if os.Getenv("GATEHOUSE_FAKE_CDP") == "1" {
		fakeBrowser()
		return
	}
	os.Exit(m.Run())
}

func fakeBrowser() {
	in, out := os.NewFile(3, "cmd"), os.NewFile(4, "answers")
	r := bufio.NewReader(in)
	send := func(v any) {
		b, _ := json.Marshal(v)
		_, _ = out.Write(append(b, 0))
	}
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID        int64          `json:"id"`
			Method    string         `json:"method"`
			SessionID string         `json:"sessionId"`
			Params    map[string]any `json:"params"`
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil {
			return
		}
		send(map[string]any{"method": "Page.frameNavigated", "params": map[string]any{}})
		switch m.Method {
		case "Target.createTarget":
			send(map[string]any{"id": m.ID, "result": map[string]any{"targetId": "T1"}})
		case "Target.attachToTarget":
			send(map[string]any{"id": m.ID, "result": map[string]any{"sessionId": "S-" + m.Params["targetId"].(string)}})
		case "Runtime.evaluate":
			if m.SessionID != "S-T1" {
				send(map[string]any{"id": m.ID, "error": map[string]any{"code": -32001, "message": "Session with given id not found."}})
				continue
			}
			if strings.Contains(m.Params["expression"].(string), "throw") {
				send(map[string]any{"id": m.ID, "result": map[string]any{"result": map[string]any{"type": "object"},
					"exceptionDetails": map[string]any{"text": "Uncaught", "exception": map[string]any{"description": "Error: boom"}}}})
				continue
			}
			send(map[string]any{"id": m.ID, "result": map[string]any{"result": map[string]any{"type": "string", "value": "http://app.test/"}}})
		case "Browser.close":
			send(map[string]any{"id": m.ID, "result": map[string]any{}})
			return
		default:
			send(map[string]any{"id": m.ID, "error": map[string]any{"code": -32601, "message": "'" + m.Method + "' wasn't found"}})
		}
	}
}

func TestCDPPipe(t *testing.T) {
	t.Setenv("GATEHOUSE_FAKE_CDP", "1")
	b, err := startCDP(os.Args[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := b.newPage(ctx)
	if err != nil || page != "S-T1" {
		t.Fatalf("newPage: %q, %v", page, err)
	}
	var loc string
	if err := b.eval(ctx, page, "location.href", &loc); err != nil || loc != "http://app.test/" {
		t.Errorf("eval: %q, %v", loc, err)
	}
	if err := b.eval(ctx, page, "throw new Error('boom')", nil); err == nil || err.Error() != "Error: boom" {
		t.Errorf("a thrown exception: %v", err)
	}
	if err := b.eval(ctx, "S-other", "1", nil); err == nil || !strings.Contains(err.Error(), "Session with given id not found") {
		t.Errorf("an error answer: %v", err)
	}
	if err := b.call(ctx, page, "Nope.nothing", nil, nil); err == nil || !strings.Contains(err.Error(), "wasn't found (-32601)") {
		t.Errorf("an unknown method: %v", err)
	}
	b.close()
	// Once the browser is gone every call fails at once, with the reason.
	if err := b.call(ctx, page, "Runtime.evaluate", nil, nil); err == nil || !strings.Contains(err.Error(), "closed its DevTools pipe") {
		t.Errorf("a call after the browser exited: %v", err)
	}
}
