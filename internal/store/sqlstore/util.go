package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Times are stored as microseconds since the Unix epoch (UTC) in both engines: comparisons in SQL
// are integer comparisons, and a value reads back exactly as written.

func ts(t time.Time) int64 { return t.UnixMicro() }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromTS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullTS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromTS(v.Int64)
	return &t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode document: %w", err)
	}
	return string(b), nil
}

func unmarshal(doc []byte, v any) error {
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("decode document: %w", err)
	}
	return nil
}

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(what, key string) error {
	return fmt.Errorf("%s %v: %w", what, key, store.ErrNotFound)
}

// conflictErrors maps the logical key a Dialect reports for a unique violation to the error the
// caller sees: it names the field, is safe to show, and matches store.ErrConflict.
var conflictErrors = map[string][2]string{
	"clients.client_id":             {"client_id", "The client already exists."},
	"resource_servers.id":           {"id", "The resource server already exists."},
	"resource_servers.identifier":   {"identifier", "A resource server with the same identifier already exists."},
	"client_grants.id":              {"id", "The client grant already exists."},
	"client_grants.audience":        {"audience", "A client grant for this client and audience already exists."},
	"roles.id":                      {"id", "The role already exists."},
	"roles.name":                    {"name", "A role with the same name already exists."},
	"users.user_id":                 {"user_id", "The user already exists."},
	"users.email":                   {"email", "The user already exists."},
	"users.username":                {"username", "The username is already taken."},
	"actions.id":                    {"id", "The action already exists."},
	"actions.name":                  {"name", "An action with the same name already exists."},
	"action_versions.id":            {"id", "The action version already exists."},
	"trigger_bindings.id":           {"id", "The binding already exists."},
	"signing_keys.kid":              {"kid", "The signing key already exists."},
	"signing_keys.state":            {"state", "Another signing key already holds this state."},
	"log_events.log_id":             {"log_id", "The log event already exists."},
	"sessions.id":                   {"id", "The session already exists."},
	"sessions.token_hash":           {"token_hash", "The session already exists."},
	"login_transactions.id":         {"id", "The transaction already exists."},
	"authorization_codes.code_hash": {"code", "The authorization code already exists."},
	"refresh_tokens.token_hash":     {"refresh_token", "The refresh token already exists."},
	"connections.id":                {"id", "The connection already exists."},
	"connections.name":              {"name", "A connection with the same name already exists."},
}

// mapErr turns constraint violations into domain errors; other errors are wrapped with op.
func (s *Store) mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) || errors.Is(err, store.ErrNotFound) || errors.Is(err, domain.ErrUnavailable) {
		return err
	}
	if s.d.Unavailable != nil && s.d.Unavailable(err) {
		// A read that lost its connection is the database being away, as for a transaction (inTx).
		return fmt.Errorf("%s: %w: %w", op, domain.ErrUnavailable, err)
	}
	switch kind, key := s.d.Classify(err); kind {
	case UniqueViolation:
		if fm, ok := conflictErrors[key]; ok {
			return &domain.Error{Code: domain.CodeConflict, Field: fm[0], Message: fm[1], Err: store.ErrConflict}
		}
		return &domain.Error{Code: domain.CodeConflict, Message: "The value already exists.", Err: store.ErrConflict}
	case ForeignKeyViolation:
		return fmt.Errorf("%s: a referenced entity does not exist: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// conflict reports a state conflict that is not a unique violation (a stale rotation).
func conflict(field, msg string) error {
	return &domain.Error{Code: domain.CodeConflict, Field: field, Message: msg, Err: store.ErrConflict}
}

// where builds the WHERE clause of a filtered list from fixed column conditions; the values are
// always bound parameters.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page appends LIMIT and OFFSET.
func (w *where) page(p store.Page) string {
	return " LIMIT " + w.arg(p.Limit()) + " OFFSET " + w.arg(p.Offset())
}

// escapeLike escapes LIKE wildcards in a prefix match; statements use ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func count(ctx context.Context, q querier, stmt string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, stmt, args...).Scan(&n); err != nil {
		return 0, err
	}
	return n, nil
}

// exec runs a write; an error is mapped with op (a constraint violation becomes a domain error).
func (s *Store) exec(ctx context.Context, q querier, op string, id Stmt, args ...any) error {
	_, err := q.ExecContext(ctx, s.q[id], args...)
	return s.mapErr(op, err)
}

// execFound runs a write to one existing row: an error is mapped with op, and when no row changed
// the row is not there, store.ErrNotFound naming what and key ("client abc").
func (s *Store) execFound(ctx context.Context, q querier, op, what, key string, id Stmt, args ...any) error {
	n, err := execN(ctx, q, s.q[id], args...)
	if err != nil {
		return s.mapErr(op, err)
	}
	if n == 0 {
		return notFound(what, key)
	}
	return nil
}

// getOne reads one row with scan: no row is store.ErrNotFound naming what and key, any other error
// is mapped.
func getOne[T any](ctx context.Context, s *Store, q querier, scan func(scanner) (T, error), what, key string,
	id Stmt, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, s.q[id], args...))
	if err == nil {
		return v, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, notFound(what, key)
	}
	return v, s.mapErr("get "+what, err)
}

// scanDoc reads a row of one column, the JSON document.
func scanDoc[T any](r scanner) (*T, error) {
	var (
		v   T
		doc []byte
	)
	if err := r.Scan(&doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func scanString(r scanner) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

// listWhere lists one page of the rows of sel that match w, in order, with the count of them all
// (count with the same conditions).
func listWhere[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error),
	count, sel Stmt, w *where, order string, p store.Page) ([]T, int, error) {
	countSQL, countArgs := s.q[count]+w.String(), w.args
	listSQL := s.q[sel] + w.String() + " ORDER BY " + order + w.page(p)
	return listPage(ctx, s, s.reader(ctx), what, scan, countSQL, countArgs, listSQL, w.args)
}

// listOf lists one page of what belongs to parent: count(parent), then list(parent, limit, offset).
func listOf[T any](ctx context.Context, s *Store, q querier, what string, scan func(scanner) (T, error),
	count, list Stmt, parent string, p store.Page) ([]T, int, error) {
	return listPage(ctx, s, q, what, scan, s.q[count], []any{parent}, s.q[list], []any{parent, p.Limit(), p.Offset()})
}

// listPage counts the rows a list covers, then reads one page of them with scan.
func listPage[T any](ctx context.Context, s *Store, q querier, what string, scan func(scanner) (T, error),
	countSQL string, countArgs []any, listSQL string, listArgs []any) ([]T, int, error) {
	total, err := count(ctx, q, countSQL, countArgs...)
	if err != nil {
		return nil, 0, s.mapErr("count "+what, err)
	}
	rows, err := q.QueryContext(ctx, listSQL, listArgs...)
	if err != nil {
		return nil, 0, s.mapErr("list "+what, err)
	}
	items, err := scanAll(rows, scan)
	if err != nil {
		return nil, 0, s.mapErr("list "+what, err)
	}
	return items, total, nil
}
