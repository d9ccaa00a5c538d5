package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/logstream"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/netguard"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/tenantcode"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

func (m *Main) tenantCommand() *cobra.Command {
	tenantCmd := &cobra.Command{Use: "tenant", Short: "Keep the tenant's configuration in files (the Auth0 Deploy CLI's directory or YAML format)"}

	var (
		eflags configFlags
		force  bool
	)
	exp := &cobra.Command{
		Use:   "export DIR|FILE.yaml [--force]",
		Short: "Write the tenant's configuration to DIR (or FILE.yaml) in the Auth0 Deploy CLI's format",
		Long: `Write tenant.json, branding/, guardian/ (MFA factors and policies), clients/, resource-servers/,
grants/, roles/, actions/ (with each Action's code.js), triggers/, database-connections/,
connections/ (other identity providers), organizations/ (with their connections), log-streams/
and emails/ (provider and templates) to DIR, as "a0deploy export --format directory" lays them
out. Secrets are never written: client secrets, Action secret values, the SMTP password and
HS256 signing secrets stay in the tenant; a connection's client secret and a log stream's
Authorization header are written as the Deploy CLI masks them (##CONNECTIONS_OIDC_SECRET##,
##LOGSTREAMS_HTTP_SECRET##), keywords to map when the files are applied. Gatehouse's
own clients and APIs are left out. DIR must be empty unless --force.

Given FILE.yaml (or .yml) instead, write one tenant.yaml as "a0deploy export --format yaml" does,
with each Action's code in ./actions/<name>/code.js and each template's HTML in
./emailTemplates/<name>.html beside it; FILE must not exist unless --force. Same --config /
--data / GATEHOUSE_* settings as serve.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, _, err := m.openTenant(cmd.Context(), eflags)
			if err != nil {
				return err
			}
			defer st.Close()
			files, err := tenantcode.Export(cmd.Context(), st, args[0], tenantcode.ExportOptions{Overwrite: force})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stderr, "wrote %d files to %s\n", len(files), args[0])
			return nil
		},
	}
	eflags.register(exp)
	exp.Flags().BoolVar(&force, "force", false, "write into a directory that is not empty")
	tenantCmd.AddCommand(exp)

	for _, apply := range []bool{false, true} {
		var (
			flags       configFlags
			keywords    string
			allowDelete bool
		)
		use, short := "plan DIR|FILE.yaml", "Show what applying DIR would change (nothing printed when nothing would)"
		if apply {
			use, short = "apply DIR|FILE.yaml", "Make the tenant match DIR: one transaction per resource type"
		}
		c := &cobra.Command{
			Use:   use + " [--keywords FILE] [--allow-delete]",
			Short: short,
			Long: short + `.

DIR is in the Auth0 Deploy CLI's directory format, or FILE.yaml in its YAML format (one
tenant.yaml; code and templates in the files it names, relative to it); a resource type whose
directory, file or section is absent is left as it is. A tenant.yaml is bounded before it is
parsed (size, nodes as its anchors and aliases expand, depth), and a key that is no section of
the Deploy CLI's format is an error. ##KEYWORD## is replaced by a value as text and @@KEYWORD@@ by its JSON,
from --keywords (a JSON object, a Deploy CLI config.json, or KEY=VALUE lines) over the JSON object
in $AUTH0_KEYWORD_REPLACE_MAPPINGS; a keyword without a value is an error. The whole directory is
read and checked first (sizes, JSON, every reference between files); a directory with any error
changes nothing. Resources the tenant has and DIR lacks are kept unless --allow-delete. Secrets
are shown masked. Same --config / --data / GATEHOUSE_* settings as serve.`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return m.tenantPlan(cmd.Context(), flags, args[0], keywords, allowDelete, apply)
			},
		}
		flags.register(c)
		c.Flags().StringVar(&keywords, "keywords", "", "keyword mappings `file` (JSON object, Deploy CLI config.json, or KEY=VALUE lines)")
		c.Flags().BoolVar(&allowDelete, "allow-delete", false, "delete what the tenant has and DIR lacks (a database connection's users go with it)")
		tenantCmd.AddCommand(c)
	}
	return tenantCmd
}

func (m *Main) tenantPlan(ctx context.Context, flags configFlags, dir, keywordsFile string, allowDelete, apply bool) error {
	mappings := tenantcode.Mappings{}
	if env := m.Getenv(tenantcode.MappingsEnv); env != "" {
		env, err := tenantcode.ParseMappings("$"+tenantcode.MappingsEnv, []byte(env))
		if err != nil {
			return err
		}
		mappings = env
	}
	if keywordsFile != "" {
		raw, err := os.ReadFile(keywordsFile)
		if err != nil {
			return err
		}
		file, err := tenantcode.ParseMappings(keywordsFile, raw)
		if err != nil {
			return err
		}
		for k, v := range file {
			mappings[k] = v
		}
	}
	cfg, st, _, err := m.openTenant(ctx, flags)
	if err != nil {
		return err
	}
	defer st.Close()
	o, err := tenantOptions(ctx, cfg, st)
	if err != nil {
		return err
	}
	o.Mappings, o.AllowDelete = mappings, allowDelete
	p, err := tenantcode.MakePlan(ctx, st, dir, o)
	if p != nil {
		for _, w := range p.Warnings {
			fmt.Fprintln(m.Stderr, "warning:", w)
		}
	}
	var problems tenantcode.Problems
	if errors.As(err, &problems) {
		return fmt.Errorf("%s has %d problem(s); nothing was changed:\n%w", dir, len(problems), err)
	}
	if err != nil {
		return err
	}
	if err := p.Write(m.Stdout); err != nil {
		return err
	}
	if !apply || p.Empty() {
		return nil
	}
	if err := tenantcode.Apply(ctx, st, p, o); err != nil {
		return err
	}
	fmt.Fprintln(m.Stderr, "applied")
	return nil
}

// tenantOptions gives tenantcode what it may not hold itself: the Actions compiler, the SMTP
// password, connection secret and log stream sealers (the latter with this node's destination
// policy) and the signing key manager, all from this node's
// configuration.
func tenantOptions(ctx context.Context, cfg config.Config, st store.Store) (tenantcode.Options, error) {
	master, err := cfg.MasterKeyBytes()
	if err != nil {
		return tenantcode.Options{}, err
	}
	sealer, err := mail.NewSealer(master)
	if err != nil {
		return tenantcode.Options{}, err
	}
	connSecrets, err := upstream.NewSecrets(master)
	if err != nil {
		return tenantcode.Options{}, err
	}
	streamSecrets, err := logstream.NewSecrets(master, netguard.Policy{AllowPrivate: cfg.AllowPrivateDestinations})
	if err != nil {
		return tenantcode.Options{}, err
	}
	return tenantcode.Options{
		Compiler: actionexec.New(actionexec.Options{Store: st, Runtime: actions.NewRuntime(actions.Options{})}),
		Sealer:   sealer,
		ConnectionSecrets: tenantConnectionSecrets{connSecrets, &upstream.Broker{Secrets: connSecrets,
			Policy: netguard.Policy{AllowPrivate: cfg.AllowPrivateDestinations}, Now: time.Now}},
		CallbackURL:      strings.TrimSuffix(cfg.Issuer, "/") + "/login/callback",
		LogStreamSecrets: streamSecrets,
		PrepareSigningAlg: func(alg string) error {
			km, err := keys.NewManager(ctx, st, master, keys.Options{})
			if err != nil {
				return err
			}
			return km.EnsureKeys(ctx, alg)
		},
	}, nil
}

// tenantConnectionSecrets readies connections to other providers as the Management API does (the
// node's app wires the same pair).
type tenantConnectionSecrets struct {
	*upstream.Secrets
	*upstream.Broker
}
