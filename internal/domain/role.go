package domain

import (
	"strings"
	"time"
)

// Role groups permissions; users hold permissions through roles (spec §3.4).
type Role struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"-"`
}

// Validate checks the role's fields.
func (r *Role) Validate() error {
	var errs Errors
	if strings.TrimSpace(r.Name) == "" {
		errs.add(Invalidf("name", "is required"))
	} else if len(r.Name) > 50 {
		errs.add(Invalidf("name", "must be at most 50 characters"))
	}
	if len(r.Description) > 140 {
		errs.add(Invalidf("description", "must be at most 140 characters"))
	}
	return errs.Err()
}

// Permission names one permission of one API, as role and user permission lists carry it.
type Permission struct {
	ResourceServerIdentifier string `json:"resource_server_identifier"`
	PermissionName           string `json:"permission_name"`
}

// PermissionSource says where a user's permission comes from: a role or a direct assignment.
type PermissionSource struct {
	SourceID   string `json:"source_id"`
	SourceName string `json:"source_name"`
	SourceType string `json:"source_type"` // "ROLE" or "DIRECT"
}
