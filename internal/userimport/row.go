package userimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// row is one user of Auth0's bulk-import schema.
type row struct {
	UserID             string          `json:"user_id"`
	Email              string          `json:"email"`
	EmailVerified      *bool           `json:"email_verified"`
	Username           *string         `json:"username"`
	GivenName          *string         `json:"given_name"`
	FamilyName         *string         `json:"family_name"`
	Name               *string         `json:"name"`
	Nickname           *string         `json:"nickname"`
	Picture            *string         `json:"picture"`
	Blocked            *bool           `json:"blocked"`
	AppMetadata        map[string]any  `json:"app_metadata"`
	UserMetadata       map[string]any  `json:"user_metadata"`
	PasswordHash       string          `json:"password_hash"`
	CustomPasswordHash json.RawMessage `json:"custom_password_hash"`
}

// reservedAppMetadata are the keys Auth0 refuses in an imported user's app_metadata.
var reservedAppMetadata = []string{"__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
	"globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount", "metadata",
	"multifactor_last_modified", "multifactor", "updated_at", "user_id"}

// importRow creates (or, with upsert, updates) the user of one row through tx. A row that cannot
// be imported returns its RowError and changes nothing; err is for the store failing.
func importRow(ctx context.Context, tx store.Store, job *domain.Job, raw json.RawMessage, now time.Time) (updated bool, rowErr *RowError, err error) {
	refuse := func(code, path, msg string) (bool, *RowError, error) {
		return false, &RowError{User: echo(raw), Errors: []Problem{{Code: code, Message: msg, Path: path}}}, nil
	}
	var r row
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return refuse("INVALID_FORMAT", "", "The user is not valid: "+err.Error())
	}
	if r.Email == "" {
		return refuse("REQUIRED", "email", "Missing required property: email")
	}
	for _, k := range reservedAppMetadata {
		if _, ok := r.AppMetadata[k]; ok {
			return refuse("INVALID_FORMAT", "app_metadata."+k, "app_metadata must not contain "+k)
		}
	}
	var hash string
	switch {
	case r.PasswordHash != "" && len(r.CustomPasswordHash) > 0:
		return refuse("INVALID_FORMAT", "custom_password_hash", "password_hash and custom_password_hash cannot be used together")
	case r.PasswordHash != "":
		if hash, err = password.ImportHash(r.PasswordHash); err != nil {
			return refuse("INVALID_FORMAT", "password_hash", strings.TrimPrefix(err.Error(), "password: "))
		}
	case len(r.CustomPasswordHash) > 0:
		if hash, err = password.ImportCustom(r.CustomPasswordHash); err != nil {
			return refuse("INVALID_FORMAT", "custom_password_hash", strings.TrimPrefix(err.Error(), "password: "))
		}
	}

	existing, err := findExisting(ctx, tx, job.Connection, r)
	if err != nil {
		return false, nil, err
	}
	upsert := job.Upsert != nil && *job.Upsert
	if existing != nil && !upsert {
		return refuse("DUPLICATED_USER", "", "The user already exists.")
	}
	u := existing
	if u == nil {
		u = &domain.User{UserID: domain.NewUserID(), Connection: job.Connection, CreatedAt: now}
		if r.UserID != "" {
			u.UserID = r.UserID
			if !strings.Contains(u.UserID, "|") {
				u.UserID = "auth0|" + u.UserID
			}
		}
	} else if r.UserID != "" && existing.UserID != r.UserID && existing.UserID != "auth0|"+r.UserID {
		return refuse("DUPLICATED_USER", "user_id", "Another user has this email address.")
	}
	u.Email, u.UpdatedAt = r.Email, now
	for _, f := range []struct {
		dst *string
		src *string
	}{{&u.Username, r.Username}, {&u.GivenName, r.GivenName}, {&u.FamilyName, r.FamilyName}, {&u.Name, r.Name},
		{&u.Nickname, r.Nickname}, {&u.Picture, r.Picture}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if r.EmailVerified != nil {
		u.EmailVerified = *r.EmailVerified
	}
	if r.Blocked != nil {
		u.Blocked = *r.Blocked
	}
	if r.AppMetadata != nil {
		u.AppMetadata = r.AppMetadata
	}
	if r.UserMetadata != nil {
		u.UserMetadata = r.UserMetadata
	}
	if hash != "" {
		u.PasswordHash = hash
	}
	domain.ApplyUserDefaults(u)
	if err := u.Validate(); err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return refuse("INVALID_FORMAT", de.Field, de.Message)
		}
		return refuse("INVALID_FORMAT", "", err.Error())
	}
	if existing != nil {
		return true, nil, tx.UpdateUser(ctx, u)
	}
	return false, nil, tx.CreateUser(ctx, u)
}

// findExisting returns the user a row names, by user_id or by email in the connection; nil when
// neither exists. It looks before writing, so that a duplicate never fails the batch's
// transaction.
func findExisting(ctx context.Context, tx store.Store, connection string, r row) (*domain.User, error) {
	if r.UserID != "" {
		id := r.UserID
		if !strings.Contains(id, "|") {
			id = "auth0|" + id
		}
		u, err := tx.GetUser(ctx, id)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	u, err := tx.GetUserByEmail(ctx, connection, domain.NormalizeEmail(r.Email))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// echo is the row as the errors list shows it: as sent, without its password hashes.
func echo(raw json.RawMessage) map[string]any {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return map[string]any{}
	}
	delete(m, "password_hash")
	delete(m, "custom_password_hash")
	return m
}
