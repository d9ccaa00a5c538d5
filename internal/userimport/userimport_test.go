package userimport_test

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

func engines(t *testing.T) map[string]func(t *testing.T) store.Store {
	m := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store { return sqlitetest.New(t, sqlite.Options{}) },
	}
	if os.Getenv("GATEHOUSE_TEST_POSTGRES_URL") != "" {
		m["postgres"] = func(t *testing.T) store.Store { return pgtest.Open(t, pgtest.SchemaURL(t), postgres.Options{}) }
	}
	return m
}

// fixtures returns the import file's rows: one user per hash kind, each with its own known
// password, then rows that must fail.
func fixtures(t *testing.T) (rows []map[string]any, passwords map[string]string) {
	b64 := base64.StdEncoding.EncodeToString
	raw := base64.RawStdEncoding.EncodeToString
	salt := []byte("import-salt-0001")
	passwords = map[string]string{}
	add := func(email, pw string, extra map[string]any) {
		passwords[email] = pw
		r := map[string]any{"email": email, "email_verified": true}
		for k, v := range extra {
			r[k] = v
		}
		rows = append(rows, r)
	}
	bc, _ := bcrypt.GenerateFromPassword([]byte("Bcrypt-Pass-1"), 4)
	add("bcrypt@example.com", "Bcrypt-Pass-1", map[string]any{"password_hash": string(bc), "user_id": "legacy-1",
		"given_name": "Bea", "family_name": "Crypt", "user_metadata": map[string]any{"lang": "fr"}, "app_metadata": map[string]any{"plan": "gold"}})
	s256 := sha256.Sum256(append([]byte("Sha256-Pass-1"), salt...))
	add("sha256@example.com", "Sha256-Pass-1", map[string]any{"custom_password_hash": map[string]any{"algorithm": "sha256",
		"hash": map[string]any{"value": b64(s256[:]), "encoding": "base64"}, "salt": map[string]any{"value": string(salt), "position": "suffix"}}})
	pb := pbkdf2.Key([]byte("Pbkdf2-Pass-1"), salt, 1000, 32, sha256.New)
	add("pbkdf2@example.com", "Pbkdf2-Pass-1", map[string]any{"custom_password_hash": map[string]any{"algorithm": "pbkdf2",
		"hash": map[string]any{"value": fmt.Sprintf("$pbkdf2-sha256$i=1000,l=32$%s$%s", raw(salt), raw(pb)), "encoding": "utf8"}}})
	s1 := sha1.Sum(append([]byte("Ldap-Pass-1"), salt...))
	add("ldap@example.com", "Ldap-Pass-1", map[string]any{"custom_password_hash": map[string]any{"algorithm": "ldap",
		"hash": map[string]any{"value": "{SSHA}" + b64(append(s1[:], salt...))}}, "blocked": true})
	cb, _ := bcrypt.GenerateFromPassword([]byte("Custom-Bcrypt-1"), 4)
	add("custombcrypt@example.com", "Custom-Bcrypt-1", map[string]any{"custom_password_hash": map[string]any{"algorithm": "bcrypt",
		"hash": map[string]any{"value": string(cb)}}})
	// Rows that fail, each for one reason.
	rows = append(rows,
		map[string]any{"email": "BCRYPT@example.com", "password_hash": string(bc)},                                                                         // duplicate
		map[string]any{"email": "scrypt@example.com", "custom_password_hash": map[string]any{"algorithm": "scrypt", "hash": map[string]any{"value": "x"}}}, // unknown hash
		map[string]any{"name": "No Email"},                                                                    // email missing
		map[string]any{"email": "extra@example.com", "favourite_colour": "blue"},                              // unknown property
		map[string]any{"email": "meta@example.com", "app_metadata": map[string]any{"email": "x@example.com"}}, // reserved app_metadata
	)
	return rows, passwords
}

// TestImportJobSurvivesRestart: a job interrupted after its first batch (its node gone) is taken
// over by another node once the lease runs out and ends with every good row imported once, every
// bad row an error in Auth0's shape, and each imported password verifying and asking for argon2id.
func TestImportJobSurvivesRestart(t *testing.T) {
	for name, open := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			conn := &domain.Connection{ID: domain.NewConnectionID(), Name: "Legacy-DB", Strategy: domain.StrategyAuth0}
			if err := st.CreateConnection(ctx, conn); err != nil {
				t.Fatal(err)
			}
			rows, passwords := fixtures(t)
			file, _ := json.Marshal(rows)
			now := time.Now().UTC()
			job, err := userimport.Create(ctx, st, now, userimport.Settings{Connection: conn, ExternalID: "ext-1"}, file)
			if err != nil {
				t.Fatal(err)
			}

			// Node A dies after its first batch of two rows.
			killed, kill := context.WithCancel(ctx)
			a := &userimport.Runner{Store: st, Owner: "a", Now: func() time.Time { return now }, Batch: 2,
				OnBatch: func(done, total int) { kill() }}
			if worked, err := a.Step(killed); !worked || !errors.Is(err, context.Canceled) {
				t.Fatalf("node a: worked=%v err=%v", worked, err)
			}
			mid, _ := st.GetJob(ctx, job.ID)
			if mid.Status != domain.JobProcessing || mid.Summary == nil || mid.Summary.Inserted != 2 {
				t.Fatalf("after the first batch: %+v %+v", mid, mid.Summary)
			}
			// Within a's lease nobody else takes the job.
			b := &userimport.Runner{Store: st, Owner: "b", Now: func() time.Time { return now.Add(10 * time.Second) }, Batch: 2}
			if worked, err := b.Step(ctx); worked || err != nil {
				t.Fatalf("node b within a's lease: worked=%v err=%v", worked, err)
			}
			b.Now = func() time.Time { return now.Add(2 * time.Minute) }
			if worked, err := b.Step(ctx); !worked || err != nil {
				t.Fatalf("node b after the lease: worked=%v err=%v", worked, err)
			}
			done, _ := st.GetJob(ctx, job.ID)
			want := domain.JobSummary{Failed: 5, Inserted: 5, Total: 10}
			if done.Status != domain.JobCompleted || done.Summary == nil || *done.Summary != want || done.ExternalID != "ext-1" || done.Connection != "Legacy-DB" {
				t.Fatalf("finished job: %+v %+v, want %+v", done, done.Summary, want)
			}
			errs, err := userimport.Errors(ctx, st, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			codes := []string{}
			for _, e := range errs {
				codes = append(codes, e.Errors[0].Code+":"+e.Errors[0].Path)
				if _, ok := e.User["password_hash"]; ok {
					t.Error("an error row shows the password hash")
				}
			}
			if got := strings.Join(codes, " "); got != "DUPLICATED_USER: INVALID_FORMAT:custom_password_hash REQUIRED:email INVALID_FORMAT: INVALID_FORMAT:app_metadata.email" {
				t.Errorf("errors: %s", got)
			}
			if !strings.Contains(errs[1].Errors[0].Message, `algorithm "scrypt" is not supported`) {
				t.Errorf("unknown hash message: %q", errs[1].Errors[0].Message)
			}

			h := password.Hasher{P: password.Fast()}
			for email, pw := range passwords {
				u, err := st.GetUserByEmail(ctx, "Legacy-DB", email)
				if err != nil {
					t.Fatalf("%s: %v", email, err)
				}
				if rehash, err := h.Verify(u.PasswordHash, pw); err != nil || !rehash {
					t.Errorf("%s: verify: rehash=%v err=%v", email, rehash, err)
				}
			}
			u, _ := st.GetUser(ctx, "auth0|legacy-1")
			if u == nil || u.Email != "bcrypt@example.com" || !u.EmailVerified || u.GivenName != "Bea" || u.UserMetadata["lang"] != "fr" || u.AppMetadata["plan"] != "gold" {
				t.Errorf("user_id and profile kept: %+v", u)
			}
			if l, _ := st.GetUserByEmail(ctx, "Legacy-DB", "ldap@example.com"); l == nil || !l.Blocked {
				t.Error("blocked not imported")
			}

			// Upsert updates the existing user; without it the same row is a duplicate.
			up, _ := json.Marshal([]map[string]any{{"email": "sha256@example.com", "name": "Renamed", "user_metadata": map[string]any{"v": 2.0}}})
			j2, err := userimport.Create(ctx, st, now, userimport.Settings{Connection: conn, Upsert: true}, up)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Step(ctx); err != nil {
				t.Fatal(err)
			}
			d2, _ := st.GetJob(ctx, j2.ID)
			if *d2.Summary != (domain.JobSummary{Updated: 1, Total: 1}) {
				t.Errorf("upsert summary: %+v", d2.Summary)
			}
			s, _ := st.GetUserByEmail(ctx, "Legacy-DB", "sha256@example.com")
			if s.Name != "Renamed" || s.UserMetadata["v"] != 2.0 {
				t.Errorf("upserted user: %+v", s)
			}
			if _, err := h.Verify(s.PasswordHash, "Sha256-Pass-1"); err != nil {
				t.Errorf("an upsert without a hash keeps the password: %v", err)
			}
		})
	}
}

// TestCreateRefusesBadFiles: files that are not a JSON array, empty, too large, or aimed at a
// connection that is not a database are refused before any job exists.
func TestCreateRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	db := &domain.Connection{ID: domain.NewConnectionID(), Name: "DB", Strategy: domain.StrategyAuth0}
	social := &domain.Connection{ID: domain.NewConnectionID(), Name: "gh", Strategy: "github"}
	big := []byte("[" + strings.Repeat(`{"email":"a@example.com"},`, userimport.MaxFileBytes/26) + `{"email":"b@example.com"}]`)
	for name, c := range map[string]struct {
		conn *domain.Connection
		file []byte
		want string
	}{
		"not json":  {db, []byte("email\nx@example.com"), "JSON array"},
		"object":    {db, []byte(`{"email":"x@example.com"}`), "JSON array"},
		"empty":     {db, []byte(`[]`), "no users"},
		"too large": {db, big, "larger than"},
		"social":    {social, []byte(`[{"email":"x@example.com"}]`), "database connection"},
	} {
		_, err := userimport.Create(ctx, st, time.Now(), userimport.Settings{Connection: c.conn}, c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	r := &userimport.Runner{Store: st, Owner: "a"}
	if worked, err := r.Step(ctx); worked || err != nil {
		t.Errorf("a refused file left work behind: %v %v", worked, err)
	}
}

// TestImportConflictInBatch: a row the database refuses (a username already taken in the same
// batch) fails alone; the batch's other rows are imported.
func TestImportConflictInBatch(t *testing.T) {
	for name, open := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			conn := &domain.Connection{ID: domain.NewConnectionID(), Name: "Legacy-DB", Strategy: domain.StrategyAuth0}
			if err := st.CreateConnection(ctx, conn); err != nil {
				t.Fatal(err)
			}
			file, _ := json.Marshal([]map[string]any{{"email": "a@example.com", "username": "same"},
				{"email": "b@example.com", "username": "same"}, {"email": "c@example.com"}})
			job, err := userimport.Create(ctx, st, time.Now(), userimport.Settings{Connection: conn}, file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (&userimport.Runner{Store: st, Owner: "a"}).Step(ctx); err != nil {
				t.Fatal(err)
			}
			done, _ := st.GetJob(ctx, job.ID)
			if done.Status != domain.JobCompleted || *done.Summary != (domain.JobSummary{Inserted: 2, Failed: 1, Total: 3}) {
				t.Fatalf("job: %+v %+v", done, done.Summary)
			}
			errs, _ := userimport.Errors(ctx, st, job.ID)
			if len(errs) != 1 || errs[0].User["email"] != "b@example.com" || errs[0].Errors[0].Code != "DUPLICATED_USER" {
				t.Fatalf("errors: %+v", errs)
			}
		})
	}
}
