package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse/internal/password"
)

// TestUsersImportExport: `gatehouse users import` imports a file larger than one job (split into
// several), reports the failed rows and exits non-zero for them; the imported password verifies;
// `gatehouse users export` writes the chosen fields, and its JSON lines import back with --upsert.
func TestUsersImportExport(t *testing.T) {
	env := tenantEnv(filepath.Join(t.TempDir(), "gatehouse.db"))
	if _, _, err := run(env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bc, _ := bcrypt.GenerateFromPassword([]byte("Cli-Import-1"), 4)
	rows := []map[string]any{{"email": "cli@example.com", "user_id": "cli-1", "password_hash": string(bc)},
		{"email": "bad@example.com", "custom_password_hash": map[string]any{"algorithm": "crc32", "hash": map[string]any{"value": "1"}}}}
	pad := strings.Repeat("x", 180)
	for i := range 3000 {
		rows = append(rows, map[string]any{"email": fmt.Sprintf("bulk-%04d@example.com", i), "user_metadata": map[string]any{"pad": pad}})
	}
	file, _ := json.Marshal(rows)
	if len(file) <= 500*1024 {
		t.Fatalf("the file (%d bytes) must need more than one job", len(file))
	}
	path := filepath.Join(dir, "users.json")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, progress, err := run(env, "", "users", "import", path)
	if err == nil || !strings.Contains(err.Error(), "1 of 3002 users were not imported") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "3001 inserted, 0 updated, 1 failed") || !strings.Contains(out, `bad@example.com: INVALID_FORMAT custom_password_hash: unknown hash format: custom_password_hash: algorithm "crc32" is not supported`) {
		t.Errorf("import report: %s", out)
	}
	if !strings.Contains(progress, "importing (job 2 of 2)") || !strings.Contains(progress, "100%") {
		t.Errorf("progress: %q", progress)
	}
	st := openStore(t, env)
	u, err := st.GetUser(context.Background(), "auth0|cli-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (password.Hasher{P: password.Fast()}).Verify(u.PasswordHash, "Cli-Import-1"); err != nil {
		t.Errorf("imported password: %v", err)
	}

	csvPath := filepath.Join(dir, "users.csv")
	if _, _, err := run(env, "", "users", "export", "--format", "csv", "--fields", "user_id,email", "--output", csvPath); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(csvPath)
	if !strings.HasPrefix(string(csv), "user_id,email\n") || !strings.Contains(string(csv), "auth0|cli-1,cli@example.com\n") || strings.Count(string(csv), "\n") != 3002 {
		t.Errorf("csv export: %d lines, starts %.80q", strings.Count(string(csv), "\n"), csv)
	}
	if fi, _ := os.Stat(csvPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v", fi.Mode())
	}
	lines, _, err := run(env, "", "users", "export", "--connection", "Username-Password-Authentication", "--fields", "email,user_id,name", "--limit", "5")
	if err != nil || strings.Count(lines, "\n") != 5 {
		t.Fatalf("json export: %v %q", err, lines)
	}
	jl := filepath.Join(dir, "users.jsonl")
	_ = os.WriteFile(jl, []byte(lines), 0o600)
	if out, _, err := run(env, "", "users", "import", "--upsert", jl); err != nil || !strings.Contains(out, "0 inserted, 5 updated, 0 failed") {
		t.Fatalf("re-import the export: %v %s", err, out)
	}
	if _, _, err := run(env, "", "users", "export", "--fields", "password_hash"); err == nil {
		t.Error("exporting password_hash must be refused")
	}
}
