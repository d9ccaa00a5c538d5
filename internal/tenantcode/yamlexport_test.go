package tenantcode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportYAMLNotThroughLink: --force writes over a tenant.yaml, never through a symbolic link
// named tenant.yaml to a file elsewhere.
func TestExportYAMLNotThroughLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.txt")
	if err := os.WriteFile(target, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tenant.yaml")
	if err := os.Symlink(target, file); err != nil {
		t.Fatal(err)
	}
	if _, err := exportYAML(nil, file, ExportOptions{Overwrite: true}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("export through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Fatalf("the link's target was written: %q", b)
	}
	// A plain file is written over with --force, and refused without it.
	plain := filepath.Join(dir, "plain", "tenant.yaml")
	if err := os.MkdirAll(filepath.Dir(plain), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exportYAML(nil, plain, ExportOptions{}); err == nil {
		t.Fatal("an existing tenant.yaml written over without --force")
	}
	if _, err := exportYAML(nil, plain, ExportOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(plain); string(b) == "old" {
		t.Fatal("--force did not write the tenant.yaml")
	}
}
