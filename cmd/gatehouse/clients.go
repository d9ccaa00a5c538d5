package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/domain"
)

func (m *Main) clientsCommand() *cobra.Command {
	clientsCmd := &cobra.Command{Use: "clients", Short: "Create applications from the command line"}
	var (
		flags      configFlags
		management bool
		name       string
		scopes     string
	)
	create := &cobra.Command{
		Use:   "create --management [--name NAME] [--scopes \"read:users read:clients …\"]",
		Short: "Create a Management API client for automation and print its credentials once",
		Long: `Create a machine-to-machine application with a client grant on this tenant's Management API
(every permission, or those --scopes lists), for Terraform, the Auth0 CLI, go-auth0 or node-auth0. Its
client secret is printed now and never again: only its hash is stored. A client of the same name is
refused, so running the command twice does not make two. Same --config / GATEHOUSE_* settings as
serve; the database must be migrated by this version of Gatehouse. Other applications are created in
the dashboard or through the Management API.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !management {
				return errors.New("only --management clients are created here; create other applications in the dashboard or with POST /api/v2/clients")
			}
			cfg, st, o, err := m.openTenant(cmd.Context(), flags)
			if err != nil {
				return err
			}
			defer st.Close()
			var want []string
			if strings.TrimSpace(scopes) != "" {
				want = strings.Fields(strings.ReplaceAll(scopes, ",", " "))
			}
			creds, err := bootstrap.CreateManagementClient(cmd.Context(), st, o, bootstrap.ManagementClient{Name: name, Scopes: want})
			if err != nil {
				var de *domain.Error
				if errors.As(err, &de) {
					return errors.New(de.Message)
				}
				return err
			}
			fmt.Fprintf(m.Stdout, `Created the Management API client %q. Its secret is shown only now: store it safely.

client_id:     %s
client_secret: %s
audience:      %s
token URL:     %soauth/token
`, strings.TrimSpace(name), creds.ClientID, creds.ClientSecret, o.ManagementAudience, cfg.Issuer)
			return nil
		},
	}
	flags.register(create)
	create.Flags().BoolVar(&management, "management", false, "create a Management API client (required)")
	create.Flags().StringVar(&name, "name", "Management API automation", "the client's name (unique)")
	create.Flags().StringVar(&scopes, "scopes", "", "Management API permissions to grant, space or comma separated (default: all)")
	clientsCmd.AddCommand(create)
	return clientsCmd
}
