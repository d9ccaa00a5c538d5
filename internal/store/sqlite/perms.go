package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// createPrivate creates the database file, empty and with mode 0600, when it does not exist yet.
// SQLite would create it 0644 less the umask, readable by every local user (CWE-276), and the
// database holds password hashes, secrets and personal data. An empty file is a valid new
// database. SQLite's unix VFS gives the -wal and -shm files it creates later the database file's
// own mode, so they are private too. An existing file keeps its mode: that is the operator's.
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	// Chmod too, so the mode is exactly 0600 whatever the umask.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}
