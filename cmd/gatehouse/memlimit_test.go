package main

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
)

// TestLimitMemory: the soft memory limit is the hashing budget plus the baseline, and GOMEMLIMIT,
// when the operator sets it, wins.
func TestLimitMemory(t *testing.T) {
	var got int64
	env := map[string]string{}
	m := &Main{Getenv: func(k string) string { return env[k] }, SetMemoryLimit: func(n int64) int64 { got = n; return 0 }}
	cfg := config.Default()
	cfg.PasswordHashMemoryMiB = 256
	m.limitMemory(cfg)
	if got != (256+nodeBaselineMiB)<<20 {
		t.Errorf("limit %d, want %d", got, (256+nodeBaselineMiB)<<20)
	}
	got = 0
	env["GOMEMLIMIT"] = "1GiB"
	m.limitMemory(cfg)
	if got != 0 {
		t.Error("GOMEMLIMIT overridden")
	}
	(&Main{Getenv: func(string) string { return "" }}).limitMemory(cfg) // no setter: nothing to do
}
