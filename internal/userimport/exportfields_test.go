package userimport_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// exportOnce runs one export to its end and returns its file, unzipped.
func exportOnce(t *testing.T, st store.Store, now time.Time, format string, fields []domain.ExportField) []byte {
	t.Helper()
	ctx := context.Background()
	job, err := userimport.CreateExport(ctx, st, now, nil, format, 0, fields)
	if err != nil {
		t.Fatal(err)
	}
	r := userimport.NewRunner(st, "a", func() time.Time { return now })
	if worked, err := r.Step(ctx); !worked || err != nil {
		t.Fatalf("step: worked=%v err=%v", worked, err)
	}
	gz, err := userimport.ExportFile(ctx, st, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	return b
}

// TestExportNestedFields: Auth0's nested field names (its documentation's own examples) export a
// metadata path, an identity's property renamed with export_as, and a linked identity's; in CSV an
// object is JSON in its cell, in JSON lines it is the object itself.
func TestExportNestedFields(t *testing.T) {
	for name, open := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			now := time.Now().UTC()
			u := &domain.User{UserID: "auth0|nest-1", Email: "nest-1@example.com", Connection: domain.DefaultConnection,
				UserMetadata: map[string]any{"consent": map[string]any{"given": true, "date": "01/23/2018"}},
				AppMetadata:  map[string]any{"plan": "pro"}, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := st.PutIdentity(ctx, &domain.UserIdentity{Provider: "github", IdentityID: "42", OwnerID: u.UserID,
				Connection: "github", CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			fields := []domain.ExportField{{Name: "email"}, {Name: "user_metadata.consent.given"}, {Name: "user_metadata.consent.date"},
				{Name: "app_metadata.plan"}, {Name: "identities[0].connection", ExportAs: "provider"}, {Name: "identities[1].provider"},
				{Name: "user_metadata.consent"}, {Name: "user_metadata.nothing.here"}}
			recs, err := csv.NewReader(bytes.NewReader(exportOnce(t, st, now, "csv", fields))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{
				{"email", "user_metadata.consent.given", "user_metadata.consent.date", "app_metadata.plan", "provider", "identities[1].provider", "user_metadata.consent", "user_metadata.nothing.here"},
				{"nest-1@example.com", "true", "01/23/2018", "pro", domain.DefaultConnection, "github", `{"date":"01/23/2018","given":true}`, ""},
			}
			if len(recs) != 2 || strings.Join(recs[0], "|") != strings.Join(want[0], "|") || strings.Join(recs[1], "|") != strings.Join(want[1], "|") {
				t.Fatalf("csv:\n%q\nwant\n%q", recs, want)
			}

			line := exportOnce(t, st, now.Add(time.Second), "json", []domain.ExportField{{Name: "user_id"}, {Name: "user_metadata.consent"},
				{Name: "identities"}, {Name: "identities[3].user_id"}})
			var got map[string]any
			if err := json.Unmarshal(bytes.TrimSpace(line), &got); err != nil {
				t.Fatalf("json line %s: %v", line, err)
			}
			consent, _ := got["user_metadata.consent"].(map[string]any)
			idents, _ := got["identities"].([]any)
			if consent["given"] != true || len(idents) != 2 || idents[1].(map[string]any)["provider"] != "github" {
				t.Fatalf("json line: %s", line)
			}
			if _, ok := got["identities[3].user_id"]; ok {
				t.Fatalf("an identity the user lacks was written: %s", line)
			}
			if strings.Contains(string(line), "access_token") {
				t.Fatalf("identities carry tokens: %s", line)
			}
		})
	}
}

// TestExportFieldsRefused: names that are no field, or pass their bounds, are refused before
// anything is stored.
func TestExportFieldsRefused(t *testing.T) {
	st := engines(t)["sqlite"](t)
	many := make([]domain.ExportField, 101)
	for i := range many {
		many[i] = domain.ExportField{Name: "email"}
	}
	for _, fields := range [][]domain.ExportField{
		{{Name: "password_hash"}}, {{Name: "user_metadata."}}, {{Name: "user_metadata..a"}}, {{Name: "user_metadata"}, {Name: "nickname.x"}},
		{{Name: "user_metadata." + strings.Repeat("a.", 10) + "a"}}, {{Name: "identities[10].connection"}}, {{Name: "identities[01].connection"}},
		{{Name: "identities[0].access_token"}}, {{Name: "identities[-1].provider"}}, {{Name: "identities[0]"}}, {{Name: ""}},
		{{Name: "user_metadata." + strings.Repeat("x", 300)}}, {{Name: "email", ExportAs: strings.Repeat("e", 300)}}, many,
	} {
		_, err := userimport.CreateExport(context.Background(), st, time.Now(), nil, "csv", 0, fields)
		var de *domain.Error
		if !errors.As(err, &de) || de.Field != "fields" {
			t.Errorf("%.80v: %v", fields, err)
		}
	}
}
