package mgmt_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// TestExportJobLocation: a completed export's signed location is shown to a caller holding
// read:users and works without a bearer; a caller that may only create users sees the job but no
// link; a node without a link key refuses exports (501).
func TestExportJobLocation(t *testing.T) {
	links, err := userimport.NewExportLinks(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *mgmt.Options) { o.ExportLinks = links })
	e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "exp@example.com", "password": "Str0ng!pass-9"})
	job := e.must(t, 201, "POST", "/jobs/users-exports", map[string]any{"format": "json"}).obj(t)
	id := job["id"].(string)
	if _, ok := job["location"]; ok {
		t.Fatalf("a pending export has a location: %v", job)
	}
	if worked, err := userimport.NewRunner(e.st, "t", time.Now).Step(context.Background()); !worked || err != nil {
		t.Fatalf("export: worked=%v err=%v", worked, err)
	}

	reader := e.call(t, "reader", "GET", "/jobs/"+id, nil).obj(t)
	loc, _ := reader["location"].(string)
	if reader["status"] != "completed" || !strings.HasPrefix(loc, issuer+"api/v2/jobs/"+id+"/download?") {
		t.Fatalf("read:users: %v", reader)
	}
	creator := e.call(t, "scopes:create:users", "GET", "/jobs/"+id, nil).obj(t)
	if creator["status"] != "completed" || creator["location"] != nil {
		t.Fatalf("create:users only: %v", creator)
	}

	res, err := e.srv.Client().Get(e.srv.URL + strings.TrimPrefix(loc, strings.TrimSuffix(issuer, "/")))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/gzip" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}

	off := newEnv(t)
	wantError(t, off.call(t, "admin", "POST", "/jobs/users-exports", map[string]any{"format": "json"}), 501, "operation_not_supported", "", false)
}
