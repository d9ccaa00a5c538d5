package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	t.Setenv("SEEDAPP_WEB_ADDR", "")
	t.Setenv("SEEDAPP_API_ADDR", "")
	t.Setenv("SEEDAPP_API_URL", "")
	t.Setenv("NODE_EXTRA_CA_CERTS", "/ca.pem")
	tests := []struct {
		name string
		args []string
		want options
	}{
		{"defaults", nil, options{webAddr: "localhost:3000", apiAddr: "localhost:3001", apiURL: "http://localhost:3001",
			trustCA: "/ca.pem", envFile: ".env.local"}},
		{"api url follows the api address", []string{"-api-addr", "127.0.0.1:4001"}, options{webAddr: "localhost:3000",
			apiAddr: "127.0.0.1:4001", apiURL: "http://127.0.0.1:4001", trustCA: "/ca.pem", envFile: ".env.local"}},
		{"explicit", []string{"-web-addr", ":8080", "-api-url", "https://api.example", "-trust-ca", "x.pem", "-env-file", "e"},
			options{webAddr: ":8080", apiAddr: "localhost:3001", apiURL: "https://api.example", trustCA: "x.pem", envFile: "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := parseFlags([]string{"extra"}, io.Discard); err == nil {
		t.Error("a stray argument was accepted")
	}
}

func TestRunReportsMissingSettings(t *testing.T) {
	for _, k := range []string{"AUTH0_SECRET", "AUTH0_BASE_URL", "AUTH0_ISSUER_BASE_URL", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_AUDIENCE", "NODE_EXTRA_CA_CERTS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	err := run(context.Background(), []string{"-env-file", filepath.Join(t.TempDir(), "none")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "AUTH0_SECRET") {
		t.Fatalf("run without settings: %v, want an error naming AUTH0_SECRET", err)
	}
}
