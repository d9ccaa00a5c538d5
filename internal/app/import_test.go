package app_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestCreateUserWithBcryptHash: POST /api/v2/users takes a bcrypt password_hash; the user signs in
// with the password behind it through the password grant, after which the stored hash is argon2id;
// a hash of another kind is refused, and PATCH does not take one.
func TestCreateUserWithBcryptHash(t *testing.T) {
	n := startNode(t)
	m := enablePasswordGrant(t, n)
	bc, err := bcrypt.GenerateFromPassword([]byte("Moved-In-From-1"), 4)
	if err != nil {
		t.Fatal(err)
	}
	status, body := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "moved@example.com", "password_hash": string(bc), "user_id": "legacy-7"})
	if status != http.StatusCreated || body["user_id"] != "auth0|legacy-7" {
		t.Fatalf("create with password_hash: %d %v", status, body)
	}
	for k := range body {
		if strings.Contains(k, "password") {
			t.Errorf("the user view shows %s", k)
		}
	}
	if status, e, _ := passwordGrant(t, n, "moved@example.com", "Moved-In-From-2"); status != http.StatusForbidden {
		t.Fatalf("wrong password: %d %s", status, e)
	}
	if status, e, _ := passwordGrant(t, n, "moved@example.com", "Moved-In-From-1"); status != http.StatusOK {
		t.Fatalf("sign in with the imported password: %d %s", status, e)
	}
	u, err := n.Store.GetUser(context.Background(), "auth0|legacy-7")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("after the first sign-in the hash is %.10s…, want argon2id", u.PasswordHash)
	}
	if status, e, _ := passwordGrant(t, n, "moved@example.com", "Moved-In-From-1"); status != http.StatusOK {
		t.Fatalf("sign in after the upgrade: %d %s", status, e)
	}

	for _, bad := range []map[string]any{
		{"password_hash": "$1$abc$md5crypt"},
		{"password_hash": string(bc), "password": "Str0ng!pass-1"},
	} {
		bad["connection"], bad["email"] = "Username-Password-Authentication", "bad@example.com"
		if status, body := m.do("POST", "users", bad); status != http.StatusBadRequest {
			t.Errorf("%v: %d %v, want 400", bad, status, body)
		}
	}
	if _, err := n.Store.GetUserByEmail(context.Background(), "Username-Password-Authentication", "bad@example.com"); err == nil {
		t.Error("a refused create left a user behind")
	}
	if status, body := m.do("PATCH", "users/auth0%7Clegacy-7", map[string]any{"password_hash": string(bc)}); status != http.StatusBadRequest {
		t.Errorf("PATCH password_hash: %d %v, want 400", status, body)
	}
}

// importFile posts a users file to /api/v2/jobs/users-imports and returns the status and body.
func importFile(t *testing.T, m *mgmtClient, fields map[string]string, file []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("users", "users.json")
	_, _ = fw.Write(file)
	_ = w.Close()
	req, _ := http.NewRequest("POST", m.base+"jobs/users-imports", &buf)
	req.Header.Set("Authorization", "Bearer "+m.bearer)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestUsersImportJob: a users file with bcrypt and custom hashes is imported in the background
// through the Management API; GET /jobs/{id} shows its summary and /errors the failed rows; each
// imported user signs in with the password grant and its hash becomes argon2id; a 2 GB upload is
// refused from its headers alone.
func TestUsersImportJob(t *testing.T) {
	n := startNode(t)
	m := enablePasswordGrant(t, n)
	ctx := context.Background()
	conn, err := n.Store.GetConnectionByName(ctx, "Username-Password-Authentication")
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := bcrypt.GenerateFromPassword([]byte("Old-Bcrypt-1"), 4)
	salt := "s4lt"
	md := md5.Sum([]byte(salt + "Old-Md5-Pass-1"))
	s512 := sha512.Sum512([]byte("Old-Sha512-1" + salt))
	file, _ := json.Marshal([]map[string]any{
		{"email": "old-bcrypt@example.com", "email_verified": true, "user_id": "old-1", "password_hash": string(bc)},
		{"email": "old-md5@example.com", "email_verified": true, "custom_password_hash": map[string]any{"algorithm": "md5",
			"hash": map[string]any{"value": hex.EncodeToString(md[:]), "encoding": "hex"}, "salt": map[string]any{"value": salt, "position": "prefix"}}},
		{"email": "old-sha512@example.com", "email_verified": true, "custom_password_hash": map[string]any{"algorithm": "sha512",
			"hash": map[string]any{"value": base64.StdEncoding.EncodeToString(s512[:]), "encoding": "base64"}, "salt": map[string]any{"value": salt, "position": "suffix"}}},
		{"email": "old-unknown@example.com", "custom_password_hash": map[string]any{"algorithm": "whirlpool", "hash": map[string]any{"value": "ab"}}},
	})
	status, job := importFile(t, m, map[string]string{"connection_id": conn.ID, "upsert": "false", "external_id": "legacy", "send_completion_email": "false"}, file)
	if status != http.StatusAccepted || job["type"] != "users_import" || job["status"] != "pending" || job["connection_id"] != conn.ID {
		t.Fatalf("create the job: %d %v", status, job)
	}
	id, _ := job["id"].(string)
	var got map[string]any
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, got = m.do("GET", "jobs/"+id, nil)
		if got["status"] == "completed" || time.Now().After(deadline) {
			break
		}
	}
	summary, _ := got["summary"].(map[string]any)
	if got["status"] != "completed" || summary["inserted"] != 3.0 || summary["failed"] != 1.0 || summary["total"] != 4.0 {
		t.Fatalf("job: %v", got)
	}
	_, errs := m.do("GET", "jobs/"+id+"/errors", nil)
	list, _ := errs["list"].([]any)
	if len(list) != 1 || !strings.Contains(fmt.Sprint(list[0]), "whirlpool") || !strings.Contains(fmt.Sprint(list[0]), "old-unknown@example.com") {
		t.Fatalf("errors: %v", errs)
	}
	for email, pw := range map[string]string{"old-bcrypt@example.com": "Old-Bcrypt-1", "old-md5@example.com": "Old-Md5-Pass-1", "old-sha512@example.com": "Old-Sha512-1"} {
		if status, e, _ := passwordGrant(t, n, email, pw+"x"); status != http.StatusForbidden {
			t.Errorf("%s with a wrong password: %d %s", email, status, e)
		}
		if status, e, _ := passwordGrant(t, n, email, pw); status != http.StatusOK {
			t.Errorf("%s: sign in: %d %s", email, status, e)
			continue
		}
		u, _ := n.Store.GetUserByEmail(ctx, "Username-Password-Authentication", email)
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Errorf("%s: after sign-in the hash is %.14s…", email, u.PasswordHash)
		}
	}
	if u, _ := n.Store.GetUser(ctx, "auth0|old-1"); u == nil {
		t.Error("user_id not kept")
	}

	// Bad requests change nothing.
	if status, body := importFile(t, m, map[string]string{"connection_id": "con_missing"}, file); status != http.StatusBadRequest {
		t.Errorf("unknown connection: %d %v", status, body)
	}
	if status, body := importFile(t, m, map[string]string{"connection_id": conn.ID, "upsert": "maybe"}, file); status != http.StatusBadRequest {
		t.Errorf("upsert=maybe: %d %v", status, body)
	}
	if status, body := importFile(t, m, map[string]string{"connection_id": conn.ID}, bytes.Repeat([]byte(" "), 600*1024)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 600 kB file: %d %v", status, body)
	}
	// A request announcing 2 GB is answered 413 from its headers: the body is never sent.
	u, _ := url.Parse(m.base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %sjobs/users-imports HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 2147483648\r\n\r\n", u.Path, u.Host, m.bearer)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 GB upload: %d", resp.StatusCode)
	}
}

// waitJob polls GET /jobs/{id} until the job completes.
func waitJob(t *testing.T, m *mgmtClient, id string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, got := m.do("GET", "jobs/"+id, nil)
		if got["status"] == "completed" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s never completed: %v", id, got)
		}
	}
}

// TestUsersExportRoundTrip: an export job writes the connection's users as JSON lines or CSV with
// the chosen fields to a gzipped file at its location; the JSON lines, imported into another
// tenant, recreate the users with their ids; an altered download link is a 403.
func TestUsersExportRoundTrip(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	for i, email := range []string{"ex-1@example.com", "ex-2@example.com"} {
		if status, body := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication", "email": email,
			"password": "Str0ng!pass-9", "user_id": fmt.Sprintf("ex-%d", i+1), "user_metadata": map[string]any{"n": i + 1}}); status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, body)
		}
	}
	conn, _ := n.Store.GetConnectionByName(context.Background(), "Username-Password-Authentication")
	download := func(loc string) (int, []byte) {
		resp, err := http.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil
		}
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(gz)
		return resp.StatusCode, b
	}

	status, job := m.do("POST", "jobs/users-exports", map[string]any{"connection_id": conn.ID, "format": "csv",
		"fields": []map[string]any{{"name": "user_id"}, {"name": "email", "export_as": "Email"}, {"name": "user_metadata"}}})
	if status != http.StatusCreated || job["type"] != "users_export" || job["format"] != "csv" {
		t.Fatalf("csv export: %d %v", status, job)
	}
	done := waitJob(t, m, job["id"].(string))
	loc, _ := done["location"].(string)
	_, csvFile := download(loc)
	recs, err := csv.NewReader(bytes.NewReader(csvFile)).ReadAll()
	if err != nil || len(recs) < 3 || strings.Join(recs[0], ",") != "user_id,Email,user_metadata" {
		t.Fatalf("csv file: %q %v", csvFile, err)
	}
	if !strings.Contains(string(csvFile), `auth0|ex-2,ex-2@example.com,"{""n"":2}"`) {
		t.Errorf("csv rows: %s", csvFile)
	}
	if status, _ := download(strings.Replace(loc, "signature=", "signature=0", 1)); status != http.StatusForbidden {
		t.Errorf("an altered signature: %d", status)
	}

	status, job = m.do("POST", "jobs/users-exports", map[string]any{"format": "json",
		"fields": []map[string]any{{"name": "user_id"}, {"name": "email"}, {"name": "email_verified"}, {"name": "user_metadata"}}})
	if status != http.StatusCreated {
		t.Fatalf("json export: %d %v", status, job)
	}
	done = waitJob(t, m, job["id"].(string))
	_, lines := download(done["location"].(string))
	var users []json.RawMessage
	for line := range strings.SplitSeq(strings.TrimSpace(string(lines)), "\n") {
		if strings.Contains(line, `"ex-`) {
			users = append(users, json.RawMessage(line))
		}
	}
	if len(users) != 2 {
		t.Fatalf("json lines: %s", lines)
	}
	for _, bad := range []map[string]any{{"format": "xml"}, {"fields": []map[string]any{{"name": "password_hash"}}}, {"connection_id": "con_nope"}} {
		if status, body := m.do("POST", "jobs/users-exports", bad); status != http.StatusBadRequest {
			t.Errorf("%v: %d %v", bad, status, body)
		}
	}

	// Round trip: the exported lines, as an import file, recreate the users elsewhere.
	other := startNode(t)
	om := newMgmtClient(t, other)
	oconn, _ := other.Store.GetConnectionByName(context.Background(), "Username-Password-Authentication")
	file, _ := json.Marshal(users)
	status, ij := importFile(t, om, map[string]string{"connection_id": oconn.ID}, file)
	if status != http.StatusAccepted {
		t.Fatalf("import the export: %d %v", status, ij)
	}
	res := waitJob(t, om, ij["id"].(string))
	if s := res["summary"].(map[string]any); s["inserted"] != 2.0 || s["failed"] != 0.0 {
		t.Fatalf("round trip import: %v", res)
	}
	u, err := other.Store.GetUser(context.Background(), "auth0|ex-2")
	if err != nil || u.Email != "ex-2@example.com" || u.UserMetadata["n"] != 2.0 {
		t.Fatalf("round-tripped user: %+v %v", u, err)
	}
}
