package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The scaling figure asks what three nodes give when each has a core budget of its own. On a
// machine with fewer cores than nodes (plus the database and the load generator), GOMAXPROCS=1
// alone budgets nothing: the nodes share the same cores and the figure measures the machine. A
// CPU quota per node, set through the kernel's cgroup CPU controller, gives each node the same
// fraction of a core whether it runs alone or beside others, so the nodes' sum stays inside what
// the machine has and one node against three compares like with like. Setting a quota needs a
// writable cgroup hierarchy (root, or a delegated subtree); without one the suite says so and
// falls back to GOMAXPROCS=1 alone.

// cpuBudget is one node's cgroup with a CPU quota.
type cpuBudget struct {
	dir string
}

const cfsPeriodMicros = 100000

// newCPUBudget makes a cgroup limited to share of one core (0 < share ≤ 1) on the cgroup v1 CPU
// controller or cgroup v2's cpu.max.
func newCPUBudget(name string, share float64) (*cpuBudget, error) {
	if share <= 0 || share > 1 {
		return nil, fmt.Errorf("CPU share %.2f is not within (0, 1]", share)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	leaf := "gatehouse-load-" + name + "-" + hex.EncodeToString(b)
	quota := int(share * cfsPeriodMicros)
	if v2, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		if !strings.Contains(" "+strings.TrimSpace(string(v2))+" ", " cpu ") {
			return nil, errors.New("cgroup v2 without the cpu controller")
		}
		dir := filepath.Join("/sys/fs/cgroup", leaf)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "cpu.max"), []byte(fmt.Sprintf("%d %d", quota, cfsPeriodMicros)), 0); err != nil {
			_ = os.Remove(dir)
			return nil, err
		}
		return &cpuBudget{dir: dir}, nil
	}
	root := "/sys/fs/cgroup/cpu"
	if _, err := os.Stat(filepath.Join(root, "cpu.cfs_quota_us")); err != nil {
		return nil, errors.New("no cgroup CPU controller found")
	}
	dir := filepath.Join(root, leaf)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{{"cpu.cfs_period_us", strconv.Itoa(cfsPeriodMicros)}, {"cpu.cfs_quota_us", strconv.Itoa(quota)}} {
		if err := os.WriteFile(filepath.Join(dir, kv[0]), []byte(kv[1]), 0); err != nil {
			_ = os.Remove(dir)
			return nil, err
		}
	}
	return &cpuBudget{dir: dir}, nil
}

// add moves the process into the budget.
func (b *cpuBudget) add(pid int) error {
	return os.WriteFile(filepath.Join(b.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

// throttled is how long the kernel held the group's tasks back for its quota, in seconds.
func (b *cpuBudget) throttled() float64 {
	st, err := os.ReadFile(filepath.Join(b.dir, "cpu.stat"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(st), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "throttled_time": // v1, nanoseconds
			n, _ := strconv.ParseFloat(f[1], 64)
			return n / 1e9
		case "throttled_usec": // v2
			n, _ := strconv.ParseFloat(f[1], 64)
			return n / 1e6
		}
	}
	return 0
}

// remove deletes the group once its process has exited.
func (b *cpuBudget) remove() { _ = os.Remove(b.dir) }
