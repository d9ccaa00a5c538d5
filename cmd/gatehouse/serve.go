package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/privatefs"
)

// configFlags are the flags every command that opens a tenant shares.
type configFlags struct {
	file string
	data string // a `gatehouse dev` data directory: its database and master key
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.file, "config", "", "YAML configuration file (GATEHOUSE_* environment variables override it)")
	cmd.Flags().StringVar(&f.data, "data", "", "use the database and master key of a gatehouse dev data `directory`")
}

// load reads the configuration: defaults ← file ← environment ← a dev data directory.
func (f *configFlags) load(getenv func(string) string) (config.Config, error) {
	cfg, err := config.Load(f.file, getenv)
	if err != nil {
		return cfg, err
	}
	if f.data != "" {
		d, err := openDevData(f.data)
		if err != nil {
			return cfg, err
		}
		cfg.Database, cfg.MasterKey, cfg.DataDir = d.database, d.masterKey, f.data
		if cfg.Issuer == "" {
			cfg.Issuer = d.issuer()
		}
	}
	return cfg, nil
}

func (m *Main) serveCommand() *cobra.Command {
	var flags configFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Gatehouse node in production",
		Long: `Run a Gatehouse node. Configuration comes from --config (YAML) and GATEHOUSE_* environment
variables; it is checked completely before anything listens, and every problem is reported at once.
The issuer, the database (SQLite path or postgres:// URL) and a master key of at least 32 bytes are
required. Without a TLS certificate the node serves plain HTTP, for use behind a TLS-terminating proxy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.load(m.Getenv)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			logger := httpserver.NewLogger(cfg.Log.Format, cfg.Log.Level, m.Stderr)
			for _, w := range cfg.Warnings() {
				logger.Warn(w)
			}
			ln, err := net.Listen("tcp", cfg.Addr)
			if err != nil {
				return err
			}
			return m.runNode(cmd.Context(), cfg, ln, app.Options{Logger: logger, AllowPrivateDestinations: cfg.AllowPrivateDestinations}, func(a *app.App) error {
				warnWithoutAdministrator(cmd.Context(), a, logger, flags)
				return nil
			})
		},
	}
	flags.register(cmd)
	return cmd
}

// warnWithoutAdministrator logs, once at start, the command that creates the first administrator
// when nobody holds the Dashboard Admin role: a new production tenant can otherwise not be
// administered at all.
func warnWithoutAdministrator(ctx context.Context, a *app.App, logger *slog.Logger, flags configFlags) {
	ok, err := bootstrap.HasAdministrator(ctx, a.Store)
	switch {
	case err != nil:
		logger.WarnContext(ctx, "could not check for a dashboard administrator", "err", err)
	case !ok:
		logger.WarnContext(ctx, "this tenant has no dashboard administrator; create the first one with this command, then sign in at "+
			a.Config.Issuer+"admin/", "run", adminHint(flags))
	}
}

// runNode builds the node and serves on ln until ctx ends. afterStart runs once the node is ready.
func (m *Main) runNode(ctx context.Context, cfg config.Config, ln net.Listener, o app.Options, afterStart func(*app.App) error) error {
	// The data directory holds node-local files such as a SQLite database: others may not even
	// list it, whoever made it and with whatever mode.
	if cfg.DataDir != "" {
		if err := privatefs.Dir(cfg.DataDir); err != nil {
			ln.Close()
			return err
		}
	}
	m.limitMemory(cfg)
	a, err := app.New(ctx, cfg, o)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	if afterStart != nil {
		if err := afterStart(a); err != nil {
			ln.Close()
			return err
		}
	}
	// Building the node (migrations, templates, keys, a first start's seeded password hashes) leaves
	// garbage behind and SQLite's write cache full. Release both and hand the free pages back to the
	// system now rather than when the background scavenger gets to them, so an idle node is small
	// from its first minute.
	if r, ok := a.Store.(interface{ ReleaseMemory(context.Context) error }); ok {
		if err := r.ReleaseMemory(ctx); err != nil {
			o.Logger.Warn("could not release the database cache", "err", err)
		}
	}
	debug.FreeOSMemory()
	o.Logger.Info("gatehouse listening", "addr", ln.Addr().String(), "issuer", cfg.Issuer, "database", cfg.DatabaseKind())
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}
	return a.Serve(ctx, ln)
}

func (m *Main) migrateCommand() *cobra.Command {
	var flags configFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date and exit",
		Long: `Apply the schema migrations this binary carries and exit. A database migrated by a newer
Gatehouse is refused and left untouched. Several nodes may run this at once; migrations take a lock.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.load(m.Getenv)
			if err != nil {
				return err
			}
			if cfg.Database == "" {
				return fmt.Errorf("no database configured: set %s or database: in --config", config.EnvDatabase)
			}
			st, v, err := app.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintf(m.Stdout, "database schema at version %d\n", v)
			return nil
		},
	}
	flags.register(cmd)
	return cmd
}

func (m *Main) keysCommand() *cobra.Command {
	keysCmd := &cobra.Command{Use: "keys", Short: "Manage token signing keys"}
	var flags configFlags
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate the signing keys: next becomes current, current becomes previous",
		Long: `Rotate the RS256 signing keys. The next key (already published in the JWKS) starts signing,
the current key stays published as previous so its tokens keep verifying, and a new next key is
generated. Running nodes notice within their poll interval.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.load(m.Getenv)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), cfg, app.Options{Logger: httpserver.NewLogger("text", "warn", m.Stderr)})
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := a.Keys.Rotate(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "rotated: %s now signs\n", s.KID)
			return nil
		},
	}
	flags.register(rotate)
	keysCmd.AddCommand(rotate)
	return keysCmd
}

// nodeBaselineMiB is what a node needs besides password hashing: its heap at idle and under a
// token peak, with room for the collector.
const nodeBaselineMiB = 64

// limitMemory sets the Go runtime's soft memory limit to the password hashing budget plus the
// node's baseline, unless the operator set GOMEMLIMIT. Each argon2id computation allocates its
// 64 MiB afresh and leaves it as garbage; without a limit the collector lets the heap grow to twice
// what is live before collecting, and the memory reaches the system late. Near the limit the
// collector runs sooner and returns freed memory, so a sign-in flood stays near budget + baseline.
func (m *Main) limitMemory(cfg config.Config) {
	if m.SetMemoryLimit == nil || m.Getenv("GOMEMLIMIT") != "" {
		return
	}
	budget := cfg.PasswordHashMemoryMiB
	if budget <= 0 {
		budget = config.DefaultPasswordHashMemoryMiB
	}
	m.SetMemoryLimit(int64(budget+nodeBaselineMiB) << 20)
}
