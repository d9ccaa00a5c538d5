package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxPasswordInput bounds what --password-stdin reads: a password policy allows at most 128
// characters, and a runaway pipe must not be read into memory.
const maxPasswordInput = 4096

func (m *Main) adminCommand() *cobra.Command {
	adminCmd := &cobra.Command{Use: "admin", Short: "Manage the tenant's dashboard administrators"}
	var (
		flags    configFlags
		email    string
		name     string
		stdin    bool
		readOnly bool
	)
	create := &cobra.Command{
		Use:   "create --email ADDRESS [--password-stdin]",
		Short: "Create a dashboard administrator (the first one, on a new tenant)",
		Long: `Create a user holding the Dashboard Admin role (or, with --read-only, Dashboard Read-only), with
the same --config / GATEHOUSE_* settings as serve. The password is read from standard input with
--password-stdin, or asked for on the terminal; it is never a flag, which other users of the machine
could read in the process list. A user that already exists keeps its password and is given the role.
The database must be migrated (gatehouse migrate) by this version of Gatehouse.`,
		Example: `  printf '%s\n' "$ADMIN_PASSWORD" | gatehouse admin create --config gatehouse.yaml --email you@example.com --password-stdin`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.createAdmin(cmd.Context(), flags, bootstrap.Administrator{Email: email, Name: name, ReadOnly: readOnly}, stdin)
		},
	}
	flags.register(create)
	create.Flags().StringVar(&email, "email", "", "the administrator's email address (required)")
	create.Flags().StringVar(&name, "name", "", "the administrator's display name (default: the email)")
	create.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input (its first line)")
	create.Flags().BoolVar(&readOnly, "read-only", false, "give the Dashboard Read-only role instead of Dashboard Admin")
	adminCmd.AddCommand(create)
	return adminCmd
}

// openTenant loads and validates the settings serve would use and opens a database whose schema
// is current, with the Management API in place.
func (m *Main) openTenant(ctx context.Context, flags configFlags) (config.Config, store.Store, bootstrap.Options, error) {
	cfg, err := flags.load(m.Getenv)
	if err != nil {
		return cfg, nil, bootstrap.Options{}, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, bootstrap.Options{}, err
	}
	st, err := app.OpenCurrentStore(ctx, cfg)
	if err != nil {
		return cfg, nil, bootstrap.Options{}, err
	}
	o := managementOptions(cfg.Issuer)
	if err := mgmt.EnsureManagementAPI(ctx, st, cfg.Issuer, mgmt.APIResourceServer(cfg.Issuer).Scopes, o.Now); err != nil {
		st.Close()
		return cfg, nil, bootstrap.Options{}, fmt.Errorf("create the Management API: %w", err)
	}
	return cfg, st, o, nil
}

func managementOptions(issuer string) bootstrap.Options {
	return bootstrap.Options{ManagementAudience: issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(), Now: time.Now}
}

func (m *Main) createAdmin(ctx context.Context, flags configFlags, a bootstrap.Administrator, fromStdin bool) error {
	a.Email = strings.TrimSpace(a.Email)
	if a.Email == "" {
		return errors.New("--email is required")
	}
	cfg, st, o, err := m.openTenant(ctx, flags)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.GetUserByEmail(ctx, domain.DefaultConnection, a.Email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		pw, err := m.readPassword(fromStdin, a.Email)
		if err != nil {
			return err
		}
		// The administrator signs in through the default database connection, so its policy
		// (strength, length, dictionary, personal information) applies as it does at signup.
		conn, err := st.GetConnectionByName(ctx, domain.DefaultConnection)
		if err != nil {
			return fmt.Errorf("read the %s connection: %w", domain.DefaultConnection, err)
		}
		policy := passwordpolicy.New(conn.Options)
		if v := policy.Check(pw, &domain.User{Email: a.Email}); v != nil {
			return errors.New(policyRefusal(policy, v))
		}
		if a.PasswordHash, err = (password.Hasher{P: password.Default()}).Hash(pw); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("look up %s: %w", a.Email, err)
	}
	res, err := bootstrap.CreateAdministrator(ctx, st, o, a)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return errors.New(de.Message)
		}
		return err
	}
	if res.Existed {
		fmt.Fprintf(m.Stdout, "%s already exists (%s): it holds the role %s; its password was not changed.\n", a.Email, res.UserID, res.Role)
	} else {
		fmt.Fprintf(m.Stdout, "Created %s (%s) with the role %s.\n", a.Email, res.UserID, res.Role)
	}
	fmt.Fprintf(m.Stdout, "Sign in to the dashboard at %sadmin/\n", cfg.Issuer)
	return nil
}

// readPassword reads the first line of standard input with --password-stdin, or asks twice on a
// terminal without echo. Anything else is refused: a password must never come from a flag.
func (m *Main) readPassword(fromStdin bool, email string) (string, error) {
	if fromStdin {
		r := bufio.NewReader(io.LimitReader(m.Stdin, maxPasswordInput+1))
		line, err := r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		if len(line) > maxPasswordInput {
			return "", errors.New("the password on standard input is too long")
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("standard input held no password: pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | gatehouse admin create … --password-stdin")
		}
		return pw, nil
	}
	f, ok := m.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no password: standard input is not a terminal, so pass --password-stdin and pipe the password in")
	}
	fmt.Fprintf(m.Stderr, "Password for %s: ", email)
	first, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(m.Stderr, "Again: ")
	second, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", err
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ; nothing was changed")
	}
	return string(first), nil
}

// adminHint is the exact command that creates the first administrator with these settings.
func adminHint(flags configFlags) string {
	cmd := "gatehouse admin create"
	if flags.file != "" {
		cmd += " --config " + shellQuote(absPath(flags.file))
	}
	if flags.data != "" {
		cmd += " --data " + shellQuote(absPath(flags.data))
	}
	return cmd + " --email you@example.com --password-stdin"
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:@=+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// policyRefusal says on a terminal why a password was refused: the message, and for a weak one each
// rule of the connection's policy marked met (✓) or not (✗), as the signup page lists them.
func policyRefusal(p *passwordpolicy.Policy, v *passwordpolicy.Violation) string {
	if v.Name != passwordpolicy.NameStrength || v.Report == nil {
		return "the password was refused: " + v.Message
	}
	var b strings.Builder
	b.WriteString("the password is too weak; it must meet every rule:")
	for _, l := range p.Lines(v.Report) {
		mark := "✗"
		if l.Met {
			mark = "✓"
		}
		b.WriteString("\n" + strings.Repeat("  ", l.Depth+1) + mark + " " + l.Text)
	}
	return b.String()
}
