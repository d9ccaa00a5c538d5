package tenantcode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Bounds on what a directory may hold, checked before a file is read whole: a tenant's
// configuration is small, and a directory is untrusted input (a pull request).
const (
	MaxFileBytes  = 1 << 20  // one file
	MaxTotalBytes = 32 << 20 // every file read
	MaxFiles      = 2000     // files read
	maxJSONDepth  = 32
)

// Directory names of the Deploy CLI's directory format (its src/tools/constants.ts).
const (
	dirClients   = "clients"
	dirAPIs      = "resource-servers"
	dirGrants    = "grants"
	dirRoles     = "roles"
	dirActions   = "actions"
	dirTriggers  = "triggers"
	dirDatabases = "database-connections"
	dirEmails    = "emails"
	dirConns     = "connections"
	tenantFile   = "tenant.json"
	providerFile = "provider.json"
	triggersFile = "triggers.json"
	databaseFile = "database.json"
)

// source is a directory being read: every file goes through it, so that the bounds, the path
// rule and keyword replacement apply to all of them alike.
type source struct {
	root     string
	mappings Mappings
	files    int
	total    int64

	// A tenant.yaml's documents, by the path they would have in a directory (keywords replaced),
	// the directories they make, and what errors call them; nil for a directory.
	virtual map[string]string
	vdirs   map[string]bool
	labels  map[string]string
}

// FileError is a problem with one file of the directory.
type FileError struct {
	File string // slash-separated, relative to the directory
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

func asFileError(err error, target **FileError) bool { return errors.As(err, target) }

func fileErr(file string, format string, args ...any) error {
	return &FileError{File: file, Err: fmt.Errorf(format, args...)}
}

// clean turns a path relative to the directory (as a file names another: "./actions/x/code.js")
// into a slash-separated relative path that stays inside it.
func clean(rel string) (string, bool) {
	rel = strings.ReplaceAll(rel, `\`, "/")
	if path.IsAbs(rel) || filepath.IsAbs(rel) {
		return "", false
	}
	c := path.Clean(rel)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// exists reports whether rel is there, refusing a path that is not a regular file or directory
// of the kind asked (a symbolic link is never followed).
func (s *source) exists(rel string, wantDir bool) (bool, error) {
	if s.virtualOnly(rel, wantDir) {
		return s.virtualExists(rel, wantDir), nil
	}
	fi, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, &FileError{File: rel, Err: err}
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return false, fileErr(rel, "is a symbolic link; links are not followed")
	case wantDir && !fi.IsDir():
		return false, fileErr(rel, "must be a directory")
	case !wantDir && !fi.Mode().IsRegular():
		return false, fileErr(rel, "must be a regular file")
	}
	return true, nil
}

// list returns the names in directory rel ending in ext (files) or, with ext "", its
// subdirectories, sorted.
func (s *source) list(rel, ext string) ([]string, error) {
	if s.virtual != nil {
		return s.virtualList(rel, ext), nil
	}
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, &FileError{File: rel, Err: err}
	}
	if len(entries) > MaxFiles {
		return nil, fileErr(rel, "holds %d entries; at most %d are read", len(entries), MaxFiles)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if (ext == "" && e.IsDir()) || (ext != "" && !e.IsDir() && strings.HasSuffix(e.Name(), ext)) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// read reads one file within the bounds and replaces its keywords.
func (s *source) read(rel string, isJSON bool) (string, error) {
	if text, ok := s.virtual[rel]; ok {
		return text, nil // bounded and keyword-replaced with the whole tenant.yaml
	}
	if ok, err := s.exists(rel, false); err != nil {
		return "", err
	} else if !ok {
		return "", fileErr(rel, "does not exist")
	}
	s.files++
	if s.files > MaxFiles {
		return "", fileErr(rel, "more than %d files; refusing to read further", MaxFiles)
	}
	f, err := os.Open(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		return "", &FileError{File: rel, Err: err}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return "", &FileError{File: rel, Err: err}
	}
	if len(raw) > MaxFileBytes {
		return "", fileErr(rel, "is larger than %d bytes", MaxFileBytes)
	}
	s.total += int64(len(raw))
	if s.total > MaxTotalBytes {
		return "", fileErr(rel, "the files read so far exceed %d bytes in all", MaxTotalBytes)
	}
	if !utf8.Valid(raw) {
		return "", fileErr(rel, "is not UTF-8 text")
	}
	return s.mappings.replace(rel, string(raw), isJSON)
}

// readJSON reads a JSON object file.
func (s *source) readJSON(rel string) (map[string]any, error) {
	text, err := s.read(rel, true)
	if err != nil {
		return nil, err
	}
	return decodeObject(rel, []byte(text))
}

func decodeObject(rel string, raw []byte) (map[string]any, error) {
	if err := checkDepth(raw); err != nil {
		return nil, fileErr(rel, "%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fileErr(rel, "malformed JSON: %v", jsonErrAt(raw, err))
	}
	if dec.More() {
		return nil, fileErr(rel, "malformed JSON: more than one value")
	}
	if m == nil {
		return nil, fileErr(rel, "must hold a JSON object")
	}
	return m, nil
}

// jsonErrAt adds the line to a syntax error.
func jsonErrAt(raw []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= int64(len(raw)) {
		return fmt.Errorf("line %d: %v", 1+bytes.Count(raw[:se.Offset], []byte("\n")), err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("line %d: %v", 1+bytes.Count(raw[:min(int(te.Offset), len(raw))], []byte("\n")), err)
	}
	return err
}

// checkDepth refuses deeply nested JSON before it is decoded.
func checkDepth(raw []byte) error {
	depth, inString, escaped := 0, false, false
	for _, b := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			if depth++; depth > maxJSONDepth {
				return fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return nil
}
