package privatefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// The modes of a private directory and the files in it.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// Dir makes dir exist with mode 0700. MkdirAll leaves an existing directory's mode alone, so a
// folder made beforehand (`mkdir data`, mode 0755) is tightened here explicitly.
func Dir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, DirMode); err != nil {
		return fmt.Errorf("restrict %s: %w", dir, err)
	}
	return nil
}

// Tighten sets each existing regular file among paths to 0600 and each directory to 0700: what an
// earlier version or a copy left readable by others. Missing paths are skipped, and a symbolic
// link is left alone rather than followed to something that may not be ours. A directory's
// contents are not touched; name them.
func Tighten(paths ...string) error {
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		want := FileMode
		switch {
		case fi.IsDir():
			want = DirMode
		case !fi.Mode().IsRegular():
			continue
		}
		if fi.Mode().Perm() == want {
			continue
		}
		if err := os.Chmod(p, want); err != nil {
			return fmt.Errorf("restrict %s: %w", p, err)
		}
	}
	return nil
}
