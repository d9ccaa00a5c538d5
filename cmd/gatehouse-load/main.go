// Command gatehouse-load drives a running Gatehouse (or several nodes of one) with a named scenario
// at a given concurrency, for a duration or a number of requests, and prints throughput, latency
// percentiles and errors by status, beside the raw RS256 signing rate of this machine measured in
// the same run, so every figure comes with its ratio to the physical floor of a token.
//
//	gatehouse-load -scenario client_credentials -tenant .gatehouse/dev-tenant.json -c 16 -d 10s
//	gatehouse-load -scenario jwks -url http://10.0.0.1:8080/,http://10.0.0.2:8080/ -c 16 -n 100000
//	gatehouse-load -scenario signin_flood -tenant .gatehouse/dev-tenant.json -c 200 -d 15s
//
// The target's per-address limit on /oauth/token (rate_limits.token_per_ip_per_minute) counts this
// tool as one client: turn it off on the target for a benchmark, or 429s are what it measures.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-load:", err)
		os.Exit(1)
	}
}
