package app

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// listenForChanges applies, within a second, the configuration and key changes other nodes commit
// to the shared PostgreSQL database: each write to those tables notifies (migration 0012), and this
// node drops its cached configuration or reloads its keys. The caches' own lifetimes (2 s for
// configuration, a 15 s poll for keys) remain the fallback while the listening connection is down;
// when it comes back, everything cached is dropped, since notifications sent meanwhile were lost.
// A single node on SQLite needs none of this: its own writes drop its caches.
func (a *App) listenForChanges(ctx context.Context) {
	reloadKeys := func() {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.Keys.Reload(rctx); err != nil && ctx.Err() == nil {
			a.Logger.WarnContext(ctx, "signing keys not reloaded after a change notification", "err", err)
		}
	}
	postgres.Listen(ctx, a.Config.Database, postgres.ListenOptions{
		Logger: a.Logger,
		OnChange: func(table string) {
			a.metrics.ChangeNotified(table)
			switch table {
			case "signing_keys":
				reloadKeys()
			case "email_provider":
				a.Mail.Kick()
			default:
				a.configChanged()
			}
		},
		OnConnect: func() {
			a.metrics.ChangeListener(true)
			a.configChanged()
			reloadKeys()
		},
		OnDisconnect: func(error) { a.metrics.ChangeListener(false) },
	})
}

// knownOrigin answers the CORS preflights of /dbconnections/* with the origins the token endpoint
// knows (protocol.KnownOrigins), from its configuration cache, which every change drops. Those
// handlers are built before the token endpoint's, so it is looked up at call time.
func (a *App) knownOrigin(ctx context.Context, origin string) (bool, error) {
	if a.oauth == nil {
		return false, nil
	}
	return a.oauth.KnownOrigin(ctx, origin)
}

// logStreamBacklogs reads each log stream's backlog for its metrics.
func (a *App) logStreamBacklogs(ctx context.Context) ([]metrics.LogStreamBacklog, error) {
	list, err := a.Store.LogStreamBacklogs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.LogStreamBacklog, len(list))
	for i, b := range list {
		out[i] = metrics.LogStreamBacklog{Stream: b.StreamID, Status: b.Status, Depth: b.Depth, Oldest: b.Oldest}
	}
	return out, nil
}
