// Command gatehouse runs a Gatehouse node: `dev` for a ready local tenant, `serve` for production,
// `migrate`, `keys rotate`, `admin create`, `clients create --management` and `version` for operations. Each subcommand's --help says what it does.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, SetMemoryLimit: debug.SetMemoryLimit}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(1)
	}
}

// Main is the program with its outside world injected, so tests run it in-process as a user would.
type Main struct {
	// Stdin is where `admin create --password-stdin` reads a password; a terminal there is
	// prompted instead when the flag is absent.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when set, is called once the server listens, with the address it listens on.
	Ready func(addr string)
	// SetMemoryLimit, when set, is the runtime's soft memory limit setter (debug.SetMemoryLimit):
	// a node sets one from its password hashing budget unless GOMEMLIMIT does. Tests leave it nil,
	// since it is the whole process's.
	SetMemoryLimit func(int64) int64
}

// Run parses args and runs the chosen subcommand until it ends or ctx is cancelled.
func (m *Main) Run(ctx context.Context, args []string) error {
	root := m.rootCommand()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "gatehouse",
		Short: "Gatehouse: a self-hosted identity platform that speaks Auth0's wire protocol",
		Long: `Gatehouse serves the Auth0 Authentication and Management APIs from one binary, on an embedded
SQLite database or on PostgreSQL. Start with "gatehouse dev".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	root.AddCommand(m.devCommand(), m.serveCommand(), m.migrateCommand(), m.keysCommand(),
		m.adminCommand(), m.clientsCommand(), m.doctorCommand(), m.verifyCommand(), m.usersCommand(), m.tenantCommand(), m.versionCommand())
	return root
}

func (m *Main) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(m.Stdout, "gatehouse", version)
			return nil
		},
	}
}
