package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// TestUsersExportLinkExpires: a completed export's location is a signed link that works for 60
// seconds (Auth0's) and is signed afresh at each read of the job; neither the job nor its work keeps
// the signature; an expired, altered or moved link is a 403 whose message says which, and leaks
// nothing of the file. On PostgreSQL two nodes share the database: a link one signs works on the
// other.
func TestUsersExportLinkExpires(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		clock := testclock.New(time.Now())
		exportLinkExpires(t, clock, startNodeAt(t, clock.Now), nil)
	})
	t.Run("postgres", func(t *testing.T) {
		clock := testclock.New(time.Now())
		nodes := startPostgresNodes(t, 2, func(o *app.Options) { o.Now = clock.Now })
		exportLinkExpires(t, clock, nodes[0], nodes[1])
	})
}

// exportLinkExpires runs the export on n and downloads from other (n when nil).
func exportLinkExpires(t *testing.T, clock *testclock.Clock, n, other *node) {
	if other == nil {
		other = n
	}
	m := newMgmtClient(t, n)
	status, job := m.do("POST", "jobs/users-exports", map[string]any{"format": "json"})
	if status != http.StatusCreated || job["location"] != nil {
		t.Fatalf("export: %d %v", status, job)
	}
	id := job["id"].(string)
	loc := strings.Replace(waitJob(t, m, id)["location"].(string), n.issuer, other.issuer, 1)
	get := func(link string) (int, string) {
		t.Helper()
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(b)
	}
	if status, _ := get(loc); status != http.StatusOK {
		t.Fatalf("a fresh link: %d", status)
	}
	u, _ := url.Parse(loc)
	sig := u.Query().Get("signature")
	ctx := context.Background()
	stored, _ := n.Store.GetJob(ctx, id)
	doc, _ := json.Marshal(stored)
	work, _ := n.Store.GetJobWork(ctx, id)
	if stored.Location != "" || strings.Contains(string(doc)+string(work.Payload)+string(work.State), sig) {
		t.Fatalf("the stored job keeps its link: %s", doc)
	}

	refused := func(link, message string) {
		t.Helper()
		status, body := get(link)
		var e map[string]any
		_ = json.Unmarshal([]byte(body), &e)
		if status != http.StatusForbidden || e["statusCode"] != 403.0 || e["message"] != message {
			t.Errorf("%s: %d %s", link, status, body)
		}
	}
	clock.Advance(61 * time.Second)
	refused(loc, "The download link has expired; read the job again for a fresh one.")
	q := u.Query()
	q.Set("expires", "99999999999")
	refused(n.issuer+"api/v2/jobs/"+id+"/download?"+q.Encode(), "The download link is not valid.")
	refused(strings.Replace(loc, id, "job_0000000000000000", 1), "The download link is not valid.")
	refused(n.issuer+"api/v2/jobs/"+id+"/download?token=anything", "The download link is not valid.")

	// Reading the job again signs a link that works.
	_, again := m.do("GET", "jobs/"+id, nil)
	fresh := strings.Replace(again["location"].(string), n.issuer, other.issuer, 1)
	if fresh == loc {
		t.Fatalf("the job read 61 s later shows the same link %s", fresh)
	}
	if status, _ := get(fresh); status != http.StatusOK {
		t.Fatalf("the fresh link: %d", status)
	}
}
