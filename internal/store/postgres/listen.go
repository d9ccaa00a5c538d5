package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChangeChannel is the channel migration 0012's triggers notify on a configuration or key write.
const ChangeChannel = "gatehouse_changes"

// ListenOptions tune Listen. Zero values take the defaults.
type ListenOptions struct {
	// OnChange is called with the table a committed transaction wrote (clients, signing_keys, …),
	// once per notification, on the listening goroutine: it must not block for long.
	OnChange func(table string)
	// OnConnect is called each time the listening connection is (re)established. Notifications sent
	// while it was down are lost, so the caller drops everything it cached then.
	OnConnect func()
	// OnDisconnect is called when the connection is lost, with the cause.
	OnDisconnect func(error)
	// MaxBackoff caps the wait between reconnection attempts (default 5 s; the first retry waits
	// 100 ms and each next one doubles).
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

// Listen holds one connection of its own (outside the pool, which would hand it to queries) on which
// it LISTENs to ChangeChannel, and reports each notification of this schema until ctx ends. A lost
// connection is reopened with backoff; polling remains the nodes' fallback meanwhile. It returns
// when ctx ends.
func Listen(ctx context.Context, url string, opts ListenOptions) {
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := listenOnce(ctx, url, opts)
		if ctx.Err() != nil {
			return
		}
		if opts.OnDisconnect != nil {
			opts.OnDisconnect(err)
		}
		opts.Logger.WarnContext(ctx, "change notifications interrupted; reconnecting", "err", err, "retry_in", backoff)
		if time.Since(start) > 10*opts.MaxBackoff {
			backoff = 100 * time.Millisecond // it ran a good while: start over quickly
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, opts.MaxBackoff)
	}
}

// listenOnce connects, listens and reports notifications until the connection fails or ctx ends.
func listenOnce(ctx context.Context, url string, opts ListenOptions) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return errors.New("postgres: the database URL is not valid")
	}
	cfg.ConnectTimeout = 5 * time.Second
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", redact(err))
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("read the schema: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+ChangeChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if opts.OnConnect != nil {
		opts.OnConnect()
	}
	prefix := schema + " "
	for {
		payload, err := waitForNotification(ctx, conn)
		if err != nil {
			return err
		}
		if table, ok := strings.CutPrefix(payload, prefix); ok && opts.OnChange != nil {
			opts.OnChange(table)
		}
	}
}

// keepAlive is how long a wait for a notification lasts before the connection is checked with a
// query: a connection cut without a FIN (a dead proxy, a partition) is noticed within this time.
const keepAlive = 10 * time.Second

// waitForNotification returns the next notification's payload. pgx leaves the connection open when
// only the wait's deadline passed.
func waitForNotification(ctx context.Context, conn *pgx.Conn) (string, error) {
	for {
		wctx, cancel := context.WithTimeout(ctx, keepAlive)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil {
			return n.Payload, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed() {
			return "", fmt.Errorf("wait for notification: %w", err)
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return "", fmt.Errorf("keep-alive: %w", err)
		}
	}
}
