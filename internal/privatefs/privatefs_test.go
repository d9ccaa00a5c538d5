//go:build unix

package privatefs_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gatehouse/gatehouse/internal/privatefs"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestDirTightensExistingAndCreatesNew(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	root := t.TempDir()
	existing := filepath.Join(root, "data")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(root, "new", "data")
	for _, d := range []string{existing, fresh} {
		if err := privatefs.Dir(d); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, d); m != 0o700 {
			t.Errorf("%s mode = %v, want 0700", d, m)
		}
	}
}

func TestTighten(t *testing.T) {
	dir := t.TempDir()
	loose, outside, link := filepath.Join(dir, "secret"), filepath.Join(t.TempDir(), "other"), filepath.Join(dir, "link")
	for _, f := range []string{loose, outside} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := privatefs.Tighten(loose, link, sub, filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, sub); m != 0o700 {
		t.Errorf("directory mode = %v, want 0700", m)
	}
	if m := mode(t, loose); m != 0o600 {
		t.Errorf("file mode = %v, want 0600", m)
	}
	if m := mode(t, outside); m != 0o644 {
		t.Errorf("file behind a symbolic link changed to %v", m)
	}
}
