package password_test

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/password"
)

// BenchmarkFloodVerify: 200 concurrent wrong-password verifications at the production cost (64 MiB
// each) through a 128 MiB gate. It prints the process's peak RSS, which without the gate would
// approach 200 × 64 MiB, and how many were refused. Run it alone: peak RSS is per process.
//
//	go test -run x -bench FloodVerify -benchtime 1x ./internal/password/
func BenchmarkFloodVerify(b *testing.B) {
	h := password.Hasher{P: password.Default(), Gate: password.NewGate(128*1024, password.Default().Memory)}
	hash, err := password.Hasher{P: password.Default()}.Hash("Correct-Horse-1")
	if err != nil {
		b.Fatal(err)
	}
	var busy, checked atomic.Int64
	for range b.N {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := h.Verify(hash, "wrong-Password-1")
				switch {
				case errors.Is(err, password.ErrBusy):
					busy.Add(1)
				case errors.Is(err, password.ErrMismatch):
					checked.Add(1)
				default:
					b.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
	}
	b.ReportMetric(float64(peakRSSKiB())/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(busy.Load())/float64(b.N), "refused/flood")
	b.ReportMetric(float64(checked.Load())/float64(b.N), "checked/flood")
}

// peakRSSKiB reads VmHWM, the process's peak resident set, on Linux; 0 elsewhere.
func peakRSSKiB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
