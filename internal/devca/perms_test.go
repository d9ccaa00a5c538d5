//go:build unix

package devca_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// assertPrivate fails unless dir is 0700 and every file in it 0600.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The CA folder holds the key every local client trusts: it is private whether Ensure makes it,
// finds it already made by someone else with a looser mode, or finds files an earlier version
// (or a copy) left readable.
func TestEnsureKeepsFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	dir := filepath.Join(t.TempDir(), "ca")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := MustEnsure(t, dir, nil, t0)
	assertPrivate(t, dir)

	// Loosened files are tightened on reuse, without being re-issued.
	for _, f := range []string{dir, p.CACert, p.CAKey, p.Cert, p.Key} {
		if err := os.Chmod(f, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if p2 := MustEnsure(t, dir, nil, t0.Add(time.Hour)); p2.CreatedCA {
		t.Error("CA re-created instead of reused")
	}
	assertPrivate(t, dir)
}
