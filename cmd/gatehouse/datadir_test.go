//go:build unix

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// umask022 runs the rest of the test under the usual umask, which leaves files 0644 and
// directories 0755 unless the code asks for less.
func umask022(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

// mustPrivate fails unless every directory under dir (dir included) is 0700 and every file 0600,
// and returns the files' paths relative to dir.
func mustPrivate(t *testing.T, dir string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
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
		} else {
			rel, _ := filepath.Rel(dir, path)
			seen[rel] = true
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// loosen gives everything under dir the modes an earlier version, a copy or `mkdir` left.
func loosen(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		m := fs.FileMode(0o644)
		if d.IsDir() {
			m = 0o755
		}
		return os.Chmod(path, m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func preMade(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// `mkdir data && gatehouse dev --data data` keeps everything it writes private, while it runs
// (the SQLite -wal and -shm files exist only then), and a later dev or `serve --data` tightens a
// folder an earlier version left readable.
func TestDevDataFolderIsPrivate(t *testing.T) {
	umask022(t)
	dir := preMade(t)
	dev := startDev(t, dir)
	files := mustPrivate(t, dir)
	dev.stop()
	for _, f := range []string{"gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm", "master.key", "app-secret",
		"dev-tenant.json", "ca/ca-key.pem", "ca/ca.pem", "ca/localhost-key.pem", "ca/localhost.pem"} {
		if !files[f] {
			t.Errorf("%s was not there to check; files: %v", f, files)
		}
	}

	loosen(t, dir)
	startDev(t, dir).stop()
	mustPrivate(t, dir)

	loosen(t, dir)
	serve := startMain(t, func(k string) string {
		if k == "GATEHOUSE_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}, "serve", "--data", dir)
	mustPrivate(t, dir)
	serve.stop()
}

// `gatehouse serve` with its data folder and SQLite database in a folder made beforehand.
func TestServeDataFolderIsPrivate(t *testing.T) {
	umask022(t)
	dir := preMade(t)
	env := map[string]string{
		"GATEHOUSE_ADDR":       "127.0.0.1:0",
		"GATEHOUSE_ISSUER":     "https://auth.example.com/",
		"GATEHOUSE_DATABASE":   filepath.Join(dir, "gatehouse.db"),
		"GATEHOUSE_DATA_DIR":   dir,
		"GATEHOUSE_MASTER_KEY": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	}
	serve := startMain(t, func(k string) string { return env[k] }, "serve")
	defer serve.stop()
	files := mustPrivate(t, dir)
	for _, f := range []string{"gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"} {
		if !files[f] {
			t.Errorf("%s was not there to check; files: %v", f, files)
		}
	}
}
