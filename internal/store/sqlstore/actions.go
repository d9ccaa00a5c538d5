package sqlstore

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Actions, their deployed versions and trigger bindings. The supported trigger ids are also kept
// as ",id1,id2," in the triggers column so ListActions can filter on one.

func actionTriggers(a *domain.Action) string {
	var b strings.Builder
	b.WriteString(",")
	for _, t := range a.SupportedTriggers {
		b.WriteString(t.ID)
		b.WriteString(",")
	}
	return b.String()
}

func (s *Store) CreateAction(ctx context.Context, a *domain.Action) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now().UTC()
	}
	a.UpdatedAt = a.CreatedAt
	doc, err := marshal(a)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create action", ActionInsert, a.ID, a.Name, actionTriggers(a), a.DeployedVersionID,
			ts(a.CreatedAt), ts(a.UpdatedAt), doc)
	})
}

func (s *Store) GetAction(ctx context.Context, id string) (*domain.Action, error) {
	return s.getAction(ctx, s.reader(ctx), ActionGet, id)
}

// getAction reads the action with id (ActionGet) or reads and locks it (ActionLock).
func (s *Store) getAction(ctx context.Context, q querier, stmt Stmt, id string) (*domain.Action, error) {
	return getOne(ctx, s, q, scanAction, "action", id, stmt, id)
}

// UpdateAction writes the draft; the deployed version changes only through CreateActionVersion.
func (s *Store) UpdateAction(ctx context.Context, a *domain.Action) error {
	a.UpdatedAt = s.now().UTC()
	doc, err := marshal(a)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update action", "action", a.ID, ActionUpdate, a.ID, a.Name, actionTriggers(a), ts(a.UpdatedAt), doc)
	})
}

// DeleteAction deletes the action; versions and bindings go by ON DELETE CASCADE.
func (s *Store) DeleteAction(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete action", "action", id, ActionDelete, id)
	})
}

func (s *Store) ListActions(ctx context.Context, f store.ActionFilter, p store.Page) ([]*domain.Action, int, error) {
	var w where
	if f.TriggerID != "" {
		w.add(`triggers LIKE ` + w.arg("%,"+escapeLike(f.TriggerID)+",%") + ` ESCAPE '\'`)
	}
	if f.ActionName != "" {
		w.add("name = " + w.arg(f.ActionName))
	}
	if f.Deployed != nil {
		if *f.Deployed {
			w.add("deployed_version_id <> ''")
		} else {
			w.add("deployed_version_id = ''")
		}
	}
	return listWhere(ctx, s, "actions", scanAction, ActionCount, ActionSelect, &w, "created_at, id", p)
}

// scanAction reads deployed_version_id, created_at, updated_at, doc.
func scanAction(r scanner) (*domain.Action, error) {
	var (
		a            domain.Action
		deployed     string
		created, upd int64
		doc          []byte
	)
	if err := r.Scan(&deployed, &created, &upd, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &a); err != nil {
		return nil, err
	}
	a.DeployedVersionID, a.CreatedAt, a.UpdatedAt = deployed, fromTS(created), fromTS(upd)
	return &a, nil
}

// CreateActionVersion numbers and deploys a new version. The action row is locked first
// (ActionLock), so two deployments of one action at once get distinct numbers.
func (s *Store) CreateActionVersion(ctx context.Context, v *domain.ActionVersion) error {
	if v.ID == "" {
		v.ID = domain.NewActionID()
	}
	if v.CreatedAt.IsZero() {
		v.CreatedAt = s.now().UTC()
	}
	v.Deployed = true
	return s.write(ctx, func(q querier) error {
		if _, err := s.getAction(ctx, q, ActionLock, v.ActionID); err != nil {
			return err
		}
		var last int
		if err := q.QueryRowContext(ctx, s.q[ActionVersionMaxNumber], v.ActionID).Scan(&last); err != nil {
			return s.mapErr("create action version", err)
		}
		v.Number = last + 1
		doc, err := marshal(v)
		if err != nil {
			return err
		}
		secrets, err := marshal(v.Secrets)
		if err != nil {
			return err
		}
		if err := s.exec(ctx, q, "create action version", ActionVersionUndeploy, v.ActionID); err != nil {
			return err
		}
		if err := s.exec(ctx, q, "create action version", ActionVersionInsert, v.ID, v.ActionID, v.Number, true,
			ts(v.CreatedAt), secrets, doc); err != nil {
			return err
		}
		return s.exec(ctx, q, "create action version", ActionSetDeployed, v.ActionID, v.ID, ts(s.now()))
	})
}

func (s *Store) GetActionVersion(ctx context.Context, actionID, versionID string) (*domain.ActionVersion, error) {
	return getOne(ctx, s, s.reader(ctx), scanActionVersion, "action version", versionID, ActionVersionGet, actionID, versionID)
}

// ListActionVersions lists newest first.
func (s *Store) ListActionVersions(ctx context.Context, actionID string, p store.Page) ([]*domain.ActionVersion, int, error) {
	q := s.reader(ctx)
	if _, err := s.getAction(ctx, q, ActionGet, actionID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "action versions", scanActionVersion, ActionVersionCount, ActionVersionList, actionID, p)
}

// scanActionVersion reads number, deployed, created_at, secrets, doc.
func scanActionVersion(r scanner) (*domain.ActionVersion, error) {
	var (
		v            domain.ActionVersion
		number       int
		deployed     bool
		created      int64
		secrets, doc []byte
	)
	if err := r.Scan(&number, &deployed, &created, &secrets, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &v); err != nil {
		return nil, err
	}
	if err := unmarshal(secrets, &v.Secrets); err != nil {
		return nil, err
	}
	v.Number, v.Deployed, v.CreatedAt = number, deployed, fromTS(created)
	return &v, nil
}

// SetTriggerBindings replaces the trigger's chain; position is the slice index.
func (s *Store) SetTriggerBindings(ctx context.Context, triggerID string, bindings []*domain.TriggerBinding) error {
	now := s.now().UTC()
	return s.write(ctx, func(q querier) error {
		if err := s.exec(ctx, q, "set trigger bindings", TriggerBindingDeleteAll, triggerID); err != nil {
			return err
		}
		for i, b := range bindings {
			if b.ID == "" {
				b.ID = domain.NewBindingID()
			}
			if b.CreatedAt.IsZero() {
				b.CreatedAt = now
			}
			b.TriggerID, b.UpdatedAt = triggerID, now
			doc, err := marshal(b)
			if err != nil {
				return err
			}
			if _, err := s.getAction(ctx, q, ActionGet, b.ActionID); err != nil {
				return err
			}
			if err := s.exec(ctx, q, "set trigger bindings", TriggerBindingInsert, b.ID, triggerID, i, b.ActionID,
				ts(b.CreatedAt), ts(b.UpdatedAt), doc); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListTriggerBindings(ctx context.Context, triggerID string) ([]*domain.TriggerBinding, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[TriggerBindingList], triggerID)
	if err != nil {
		return nil, s.mapErr("list trigger bindings", err)
	}
	list, err := scanAll(rows, func(r scanner) (*domain.TriggerBinding, error) {
		var (
			b            domain.TriggerBinding
			actionID     string
			created, upd int64
			doc          []byte
		)
		if err := r.Scan(&actionID, &created, &upd, &doc); err != nil {
			return nil, err
		}
		if err := unmarshal(doc, &b); err != nil {
			return nil, err
		}
		b.ActionID, b.CreatedAt, b.UpdatedAt = actionID, fromTS(created), fromTS(upd)
		return &b, nil
	})
	return list, s.mapErr("list trigger bindings", err)
}
