package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

func (m *Main) usersCommand() *cobra.Command {
	usersCmd := &cobra.Command{Use: "users", Short: "Import and export users (Auth0's bulk formats)"}
	var (
		flags      configFlags
		connection string
		upsert     bool
	)
	imp := &cobra.Command{
		Use:   "import FILE [--connection NAME] [--upsert]",
		Short: "Import users from an Auth0 bulk-import file (a JSON array, or JSON lines as an export writes)",
		Long: `Import users as POST /api/v2/jobs/users-imports does: rows in Auth0's bulk-import schema, with
password_hash (bcrypt) or custom_password_hash, verified at the first sign-in and then stored as
argon2id. A file larger than one job's 500 KB limit is split into several jobs. The jobs are stored in
the database and run here with a progress display (or by a running node, which may pick them up);
an interrupted import resumes where its last batch committed. Rows that fail are listed at the end.
Same --config / GATEHOUSE_* settings as serve.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			chunks, err := splitImport(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			_, st, _, err := m.openTenant(cmd.Context(), flags)
			if err != nil {
				return err
			}
			defer st.Close()
			return m.importUsers(cmd.Context(), st, connection, upsert, chunks)
		},
	}
	flags.register(imp)
	imp.Flags().StringVar(&connection, "connection", domain.DefaultConnection, "the database connection to import into")
	imp.Flags().BoolVar(&upsert, "upsert", false, "update users that already exist instead of reporting them")
	usersCmd.AddCommand(imp)

	var (
		eflags  configFlags
		econn   string
		format  string
		fields  string
		limit   int
		outPath string
	)
	exp := &cobra.Command{
		Use:   "export [--format json|csv] [--fields user_id,email,…] [--connection NAME] [--output FILE]",
		Short: "Export users as POST /api/v2/jobs/users-exports does (JSON lines or CSV)",
		Long: `Export users of one connection (or all) with the chosen fields, as JSON lines (which "gatehouse
users import" reads back) or CSV with a header row, to --output or standard output. Same --config /
GATEHOUSE_* settings as serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, st, _, err := m.openTenant(cmd.Context(), eflags)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			var conn *domain.Connection
			if econn != "" {
				if conn, err = st.GetConnectionByName(ctx, econn); err != nil {
					return fmt.Errorf("connection %q: %w", econn, err)
				}
			}
			var fs []domain.ExportField
			for f := range strings.SplitSeq(fields, ",") {
				if f = strings.TrimSpace(f); f != "" {
					fs = append(fs, domain.ExportField{Name: f})
				}
			}
			job, err := userimport.CreateExport(ctx, st, time.Now(), conn, format, limit, fs)
			if err != nil {
				var de *domain.Error
				if errors.As(err, &de) {
					return errors.New(de.Message)
				}
				return err
			}
			if _, err := m.runUntilDone(ctx, st, job.ID, "exporting"); err != nil {
				return err
			}
			// The command holds the database: it reads the file itself, without a download link.
			gz, err := userimport.ExportFile(ctx, st, job.ID)
			if err != nil {
				return err
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				return err
			}
			var out io.Writer = m.Stdout
			if outPath != "" {
				f, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			_, err = io.Copy(out, zr)
			return err
		},
	}
	eflags.register(exp)
	exp.Flags().StringVar(&econn, "connection", "", "export only this connection's users")
	exp.Flags().StringVar(&format, "format", "json", "json (JSON lines) or csv")
	exp.Flags().StringVar(&fields, "fields", "", "comma-separated fields (default: Auth0's profile fields)")
	exp.Flags().IntVar(&limit, "limit", 0, "at most this many users (0: all)")
	exp.Flags().StringVarP(&outPath, "output", "o", "", "write to this file (mode 0600) instead of standard output")
	usersCmd.AddCommand(exp)
	return usersCmd
}

// splitImport reads a JSON array or JSON lines and cuts the rows into JSON arrays each within one
// job's size limit.
func splitImport(raw []byte) ([][]byte, error) {
	var rows []json.RawMessage
	trimmed := bytes.TrimSpace(raw)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		if err := json.Unmarshal(trimmed, &rows); err != nil {
			return nil, fmt.Errorf("not a JSON array of users: %w", err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		for line := 1; dec.More(); line++ {
			var r json.RawMessage
			if err := dec.Decode(&r); err != nil {
				return nil, fmt.Errorf("user %d: not JSON: %w", line, err)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, errors.New("the file has no users")
	}
	var chunks [][]byte
	var cur bytes.Buffer
	for i, r := range rows {
		if len(r)+2 > userimport.MaxFileBytes {
			return nil, fmt.Errorf("user %d is larger than %d bytes", i+1, userimport.MaxFileBytes)
		}
		if cur.Len() > 0 && cur.Len()+len(r)+2 > userimport.MaxFileBytes {
			cur.WriteByte(']')
			chunks = append(chunks, bytes.Clone(cur.Bytes()))
			cur.Reset()
		}
		if cur.Len() == 0 {
			cur.WriteByte('[')
		} else {
			cur.WriteByte(',')
		}
		cur.Write(r)
	}
	cur.WriteByte(']')
	return append(chunks, cur.Bytes()), nil
}

func (m *Main) importUsers(ctx context.Context, st store.Store, connection string, upsert bool, chunks [][]byte) error {
	conn, err := st.GetConnectionByName(ctx, connection)
	if err != nil {
		return fmt.Errorf("connection %q: %w", connection, err)
	}
	var total domain.JobSummary
	var failed []userimport.RowError
	for i, chunk := range chunks {
		job, err := userimport.Create(ctx, st, time.Now(), userimport.Settings{Connection: conn, Upsert: upsert}, chunk)
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				return errors.New(de.Message)
			}
			return err
		}
		done, err := m.runUntilDone(ctx, st, job.ID, fmt.Sprintf("importing (job %d of %d)", i+1, len(chunks)))
		if err != nil {
			return err
		}
		if s := done.Summary; s != nil {
			total.Inserted, total.Updated, total.Failed, total.Total = total.Inserted+s.Inserted, total.Updated+s.Updated, total.Failed+s.Failed, total.Total+s.Total
		}
		errs, err := userimport.Errors(ctx, st, job.ID)
		if err != nil {
			return err
		}
		failed = append(failed, errs...)
	}
	fmt.Fprintf(m.Stdout, "Imported %d users: %d inserted, %d updated, %d failed.\n", total.Total, total.Inserted, total.Updated, total.Failed)
	for _, e := range failed {
		email, _ := e.User["email"].(string)
		for _, p := range e.Errors {
			fmt.Fprintf(m.Stdout, "  %s: %s %s: %s\n", cmpOr(email, "(no email)"), p.Code, p.Path, p.Message)
		}
	}
	if total.Failed > 0 {
		return fmt.Errorf("%d of %d users were not imported", total.Failed, total.Total)
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// runUntilDone runs jobs here until job id is completed (a running node may take it instead; then
// it waits), showing progress on standard error.
func (m *Main) runUntilDone(ctx context.Context, st store.Store, id, what string) (*domain.Job, error) {
	r := &userimport.Runner{Store: st, Owner: "cli-" + domain.NewJobID()[4:], OnBatch: func(done, total int) {
		fmt.Fprintf(m.Stderr, "\r%s: %d/%d rows (%d%%)", what, done, total, done*100/max(total, 1))
	}}
	defer fmt.Fprintln(m.Stderr)
	for {
		job, err := st.GetJob(ctx, id)
		if err != nil {
			return nil, err
		}
		if job.Status == domain.JobCompleted {
			if job.Type == domain.JobUsersExport {
				fmt.Fprintf(m.Stderr, "\r%s: done", what)
			}
			return job, nil
		}
		worked, err := r.Step(ctx)
		if err != nil {
			return nil, err
		}
		if !worked {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}
