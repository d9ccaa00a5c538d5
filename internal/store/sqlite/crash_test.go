package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

const crashHelperEnv = "GATEHOUSE_SQLITE_CRASH_HELPER_DB"

// TestCrashHelper is not a test: it is the child process of TestCrashSafety. It writes users in a
// loop and prints each id once its transaction has committed.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashHelperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashSafety")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	deadline := time.Now().Add(30 * time.Second) // bounded even if the parent never kills us
	for i := 0; time.Now().Before(deadline); i++ {
		u := &domain.User{UserID: fmt.Sprintf("auth0|crash%06d", i), Email: fmt.Sprintf("crash%d@example.com", i)}
		domain.ApplyUserDefaults(u)
		if err := st.CreateUser(ctx, u); err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, u.UserID)
		if err := out.Flush(); err != nil {
			os.Exit(2)
		}
	}
	os.Exit(0)
}

// TestCrashSafety kills a writing process with SIGKILL and checks that every write it reported as
// committed is in the database afterwards, and that the database is intact.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	MustOpen(t, path).Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 200
	var reported []string
	sc := bufio.NewScanner(stdout)
	timeout := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer timeout.Stop()
	for sc.Scan() {
		reported = append(reported, strings.TrimSpace(sc.Text()))
		if len(reported) == killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if len(reported) < killAfter {
		t.Fatalf("helper reported only %d writes before exiting (%v)", len(reported), err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed by SIGKILL: %v", cmd.ProcessState)
	}

	st := MustOpen(t, path)
	ctx := context.Background()
	for _, id := range reported {
		if _, err := st.GetUser(ctx, id); err != nil {
			t.Fatalf("committed user %s is missing after the crash: %v", id, err)
		}
	}
	var result string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		t.Fatal(err)
	}
	if result != "ok" {
		t.Fatalf("integrity_check = %q", result)
	}
	t.Logf("%d committed writes survived SIGKILL", len(reported))
}
