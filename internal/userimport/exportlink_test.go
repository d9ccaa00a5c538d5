package userimport_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// TestExportKeepsNoLink: a finished export stores its file and nothing a download link could be
// rebuilt from: the job has no location and its work holds only the file.
func TestExportKeepsNoLink(t *testing.T) {
	for name, open := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			now := time.Now().UTC()
			u := &domain.User{UserID: "auth0|exp-1", Email: "exp-1@example.com", Connection: "Username-Password-Authentication",
				CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			job, err := userimport.CreateExport(ctx, st, now, nil, "json", 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := userimport.ExportFile(ctx, st, job.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the file of a pending export: %v", err)
			}
			r := userimport.NewRunner(st, "a", func() time.Time { return now })
			if worked, err := r.Step(ctx); !worked || err != nil {
				t.Fatalf("step: worked=%v err=%v", worked, err)
			}
			done, err := st.GetJob(ctx, job.ID)
			if err != nil || done.Status != domain.JobCompleted || done.Location != "" {
				t.Fatalf("finished job: %+v %v (a stored location is a stored capability)", done, err)
			}
			w, err := st.GetJobWork(ctx, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range [][]byte{w.Payload, w.State} {
				if bytes.Contains(b, []byte("token")) || bytes.Contains(b, []byte("download")) {
					t.Fatalf("the job's work keeps a link secret: %s", b)
				}
			}
			gz, err := userimport.ExportFile(ctx, st, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			lines, _ := io.ReadAll(zr)
			if !strings.Contains(string(lines), `"user_id":"auth0|exp-1"`) {
				t.Fatalf("exported file: %s", lines)
			}
			if _, err := userimport.ExportFile(ctx, st, "job_nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("an unknown job's file: %v", err)
			}
		})
	}
}

// TestExportLinks: a link works until its expiry, for its job only, under its key only; an altered
// link is invalid and an expired one says so.
func TestExportLinks(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	links, err := userimport.NewExportLinks(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := userimport.NewExportLinks(key[:16]); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
	now := time.Unix(1_800_000_000, 0)
	loc := links.URL("https://gatehouse.test/api/v2/", "job_abc", now)
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/api/v2/jobs/job_abc/download" {
		t.Fatalf("link %q: %v", loc, err)
	}
	exp, sig := u.Query().Get("expires"), u.Query().Get("signature")
	if exp != "1800000060" || len(sig) != 64 {
		t.Fatalf("link %q: expires %q, signature %q", loc, exp, sig)
	}
	check := func(l *userimport.ExportLinks, job, exp, sig string, at time.Time, want error) {
		t.Helper()
		if err := l.Check(job, exp, sig, at); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("Check(%q, %q, %.8s…, %v) = %v, want %v", job, exp, sig, at.Unix()-now.Unix(), err, want)
		}
	}
	check(links, "job_abc", exp, sig, now, nil)
	check(links, "job_abc", exp, sig, now.Add(59*time.Second), nil)
	check(links, "job_abc", exp, sig, now.Add(60*time.Second), userimport.ErrLinkExpired)
	check(links, "job_other", exp, sig, now, userimport.ErrLinkInvalid)
	check(links, "job_abc", "1900000000", sig, now, userimport.ErrLinkInvalid) // a later expiry, same signature
	flipped := []byte(sig)
	flipped[10] ^= 1
	check(links, "job_abc", exp, string(flipped), now, userimport.ErrLinkInvalid)
	check(links, "job_abc", exp, strings.ToUpper(sig[:2])+"zz"+sig[4:], now, userimport.ErrLinkInvalid)
	check(links, "job_abc", exp, "", now, userimport.ErrLinkInvalid)
	check(links, "job_abc", "", sig, now, userimport.ErrLinkInvalid)
	check(links, "job_abc", strings.Repeat("9", 40), sig, now, userimport.ErrLinkInvalid)
	other, _ := userimport.NewExportLinks(bytes.Repeat([]byte{8}, 32))
	check(other, "job_abc", exp, sig, now, userimport.ErrLinkInvalid)
	// An expired link, even a genuine one, is told apart only after its signature: a forged
	// expired link is invalid, not expired.
	check(links, "job_abc", "1700000000", sig, now, userimport.ErrLinkInvalid)
}
