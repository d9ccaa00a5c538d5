package tenantcode

import (
	"context"
	"crypto/subtle"
	"reflect"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

const dirLogStreams = "log-streams"

// LogStreamSecrets seal a log stream's Authorization header under its id and check that an
// endpoint is one this node may send the tenant log to.
type LogStreamSecrets interface {
	IDSealer
	CheckEndpoint(ctx context.Context, rawURL string) error
}

func (s *snapshot) logStream(name string) *domain.LogStream {
	for _, ls := range s.streams {
		if ls.Name == name {
			return ls
		}
	}
	return nil
}

// logStreamDoc is a stream as log-streams/<name>.json holds it: the Authorization header as the
// Deploy CLI masks it (a keyword an import maps to the value), never in clear.
func logStreamDoc(ls *domain.LogStream) map[string]any {
	m := toMap(ls)
	delete(m, "id")
	if len(ls.AuthorizationSealed) > 0 || ls.Sink.HTTPAuthorization != "" {
		if sink, ok := m["sink"].(map[string]any); ok {
			sink["httpAuthorization"] = secretMask("logStreams", ls.Type)
		}
	}
	return m
}

func (b *builder) logStreams() error {
	if ok, err := b.dirPresent(dirLogStreams); err != nil || !ok {
		return err
	}
	names, err := b.src.list(dirLogStreams, ".json")
	if err != nil {
		return err
	}
	b.d.managed[KindLogStream] = true
	known := jsonNames(reflect.TypeOf(domain.LogStream{}), nil)
	var out []*domain.LogStream
	seen := map[string]string{}
	for _, n := range names {
		file := dirLogStreams + "/" + n
		doc, name, ok := b.readNamed(file, "log stream", known, seen)
		if !ok {
			continue
		}
		var auth *string
		if sink, ok := doc["sink"].(map[string]any); ok {
			if v, has := sink["httpAuthorization"]; has {
				s, ok := v.(string)
				if !ok {
					b.fail(fileErr(file, "sink.httpAuthorization: must be a string"))
					continue
				}
				auth = &s
				delete(sink, "httpAuthorization")
			}
		}
		delete(doc, "id")
		old := b.cur.logStream(name)
		base := &domain.LogStream{}
		if old != nil {
			base = old
		}
		ls := &domain.LogStream{}
		if err := overlay(file, base, doc, ls); err != nil {
			b.fail(err)
			continue
		}
		ls.ApplyDefaults()
		if old != nil {
			ls.ID, ls.CreatedAt, ls.UpdatedAt, ls.AuthorizationSealed = old.ID, old.CreatedAt, old.UpdatedAt, old.AuthorizationSealed
			ls.Cursor, ls.Failures, ls.NextAttemptAt, ls.LastError = old.Cursor, old.Failures, old.NextAttemptAt, old.LastError
		} else {
			ls.ID, ls.CreatedAt, ls.UpdatedAt = domain.NewLogStreamID(), b.now, b.now
		}
		if auth != nil && !b.sameStreamAuth(old, *auth) {
			if b.o.LogStreamSecrets == nil {
				b.fail(fileErr(file, "sink.httpAuthorization: no master key to seal it with"))
				continue
			}
			ls.Sink.HTTPAuthorization = *auth
			b.setSecret(KindLogStream, name, "sink.httpAuthorization")
		}
		if err := ls.Validate(); err != nil {
			b.fail(&FileError{File: file, Err: err})
			continue
		}
		if old == nil || old.Sink.HTTPEndpoint != ls.Sink.HTTPEndpoint {
			// A new endpoint is checked as the Management API checks it: the tenant log goes
			// nowhere this node must not send it.
			if b.o.LogStreamSecrets == nil {
				b.fail(fileErr(file, "sink.httpEndpoint: cannot be checked here"))
				continue
			}
			if err := b.o.LogStreamSecrets.CheckEndpoint(b.ctx, ls.Sink.HTTPEndpoint); err != nil {
				b.fail(fileErr(file, "sink.httpEndpoint: %v", err))
				continue
			}
		}
		out = append(out, ls)
	}
	for _, ls := range b.cur.streams {
		if _, inDir := seen[ls.Name]; !inDir && !b.o.AllowDelete {
			out = append(out, ls)
		}
	}
	b.d.streams = out
	return nil
}

func (b *builder) sameStreamAuth(old *domain.LogStream, auth string) bool {
	if old == nil || len(old.AuthorizationSealed) == 0 || b.o.LogStreamSecrets == nil {
		return false
	}
	was, err := b.o.LogStreamSecrets.Open(old.ID, old.AuthorizationSealed)
	return err == nil && subtle.ConstantTimeCompare([]byte(was), []byte(auth)) == 1
}

func (a *applier) logStream(ctx context.Context, tx store.Store, c Change) error {
	if c.Op == OpRemove {
		return tx.DeleteLogStream(ctx, a.cur.logStream(c.Key).ID)
	}
	ls := *a.des.logStream(c.Key)
	if ls.Sink.HTTPAuthorization != "" {
		sealed, err := a.o.LogStreamSecrets.Seal(ls.ID, ls.Sink.HTTPAuthorization)
		if err != nil {
			return err
		}
		ls.AuthorizationSealed, ls.Sink.HTTPAuthorization = sealed, ""
	}
	if c.Op == OpAdd {
		return tx.CreateLogStream(ctx, &ls)
	}
	ls.UpdatedAt = a.now
	return tx.UpdateLogStream(ctx, &ls)
}
