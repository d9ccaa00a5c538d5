package main

import (
	"os/exec"
	"testing"
	"time"
)

// TestCPUBudget: a busy process in a budget of a twentieth of a core is held back by the kernel.
// Setting a quota needs a writable cgroup hierarchy (root here and in CI); elsewhere the suite
// falls back to GOMAXPROCS alone and so does this test.
func TestCPUBudget(t *testing.T) {
	for _, bad := range []float64{0, -0.5, 1.5} {
		if _, err := newCPUBudget("bad", bad); err == nil {
			t.Errorf("share %v accepted", bad)
		}
	}
	b, err := newCPUBudget("test", 0.05)
	if err != nil {
		t.Skipf("no writable cgroup CPU controller on this machine (%v): the suite uses GOMAXPROCS=1 alone", err)
	}
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		b.remove()
		t.Fatal(err)
	}
	if err := b.add(cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.remove()
		t.Fatal(err)
	}
	time.Sleep(time.Second) // ten periods of 100 ms: the loop exhausts its 5 ms quota in each
	held := b.throttled()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	b.remove()
	if held < 0.3 {
		t.Errorf("a busy loop in a twentieth of a core was held back %.2f s of 1 s", held)
	}
}
