package userimport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Bounds on an export's fields, checked before anything is stored: how many, how long a name or an
// export_as, how deep a metadata path, and the highest identities[] index.
const (
	maxExportFields   = 100
	maxFieldNameLen   = 256
	maxMetadataDepth  = 10
	maxIdentityIndex  = 9
	identitiesField   = "identities"
	userMetadataField = "user_metadata"
	appMetadataField  = "app_metadata"
)

// identityKeys are the properties identities[N].KEY may name (Auth0's identity, without tokens).
var identityKeys = map[string]bool{"connection": true, "user_id": true, "provider": true, "isSocial": true}

// exportPath is one field of an export, parsed: a top-level profile field, a path inside
// user_metadata or app_metadata (Auth0's "user_metadata.consent.given"), the identities array, or
// one property of one identity ("identities[0].connection").
type exportPath struct {
	root  string
	keys  []string // the metadata path below root
	index int      // identities[index]; -1 for the whole array
	key   string   // the identity's property
}

// parseExportField checks a field's name as Auth0 writes it and returns its path.
func parseExportField(name string) (exportPath, error) {
	bad := func(why string) (exportPath, error) {
		return exportPath{}, domain.Invalidf("fields", "%q is not a field a users export can write: %s", truncate(name), why)
	}
	if name == "" || len(name) > maxFieldNameLen {
		return bad(fmt.Sprintf("a field's name has 1 to %d characters", maxFieldNameLen))
	}
	if exportFields[name] {
		return exportPath{root: name, index: -1}, nil
	}
	if name == identitiesField {
		return exportPath{root: identitiesField, index: -1}, nil
	}
	root, rest, dotted := strings.Cut(name, ".")
	if dotted && (root == userMetadataField || root == appMetadataField) {
		keys := strings.Split(rest, ".")
		if len(keys) > maxMetadataDepth {
			return bad(fmt.Sprintf("a metadata path is at most %d keys deep", maxMetadataDepth))
		}
		for _, k := range keys {
			if k == "" {
				return bad("a metadata path has no empty key")
			}
		}
		return exportPath{root: root, keys: keys, index: -1}, nil
	}
	if idx, ok := strings.CutPrefix(name, identitiesField+"["); ok {
		num, key, ok := strings.Cut(idx, "].")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n > maxIdentityIndex || strconv.Itoa(n) != num {
			return bad(fmt.Sprintf("identities[N].KEY takes N from 0 to %d", maxIdentityIndex))
		}
		if !identityKeys[key] {
			return bad("an identity's key is connection, user_id, provider or isSocial")
		}
		return exportPath{root: identitiesField, index: n, key: key}, nil
	}
	return bad("not a profile field")
}

// checkExportFields parses every field of an export and bounds their number and names.
func checkExportFields(fields []domain.ExportField) ([]exportPath, error) {
	if len(fields) > maxExportFields {
		return nil, domain.Invalidf("fields", "an export writes at most %d fields", maxExportFields)
	}
	paths := make([]exportPath, len(fields))
	for i, f := range fields {
		if len(f.ExportAs) > maxFieldNameLen {
			return nil, domain.Invalidf("fields", "export_as has at most %d characters", maxFieldNameLen)
		}
		p, err := parseExportField(f.Name)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}

// linked reports whether the path needs the identities linked to a user, which are read apart.
func (p exportPath) linked() bool { return p.root == identitiesField && p.index != 0 }

// value is the path's value for u, whose profile fields are all (exportValues) and identities
// idents (its own first); false when u has none.
func (p exportPath) value(all map[string]any, u *domain.User, idents []domain.Identity) (any, bool) {
	switch {
	case p.root == identitiesField && p.index < 0:
		return idents, true
	case p.root == identitiesField:
		if p.index >= len(idents) {
			return nil, false
		}
		id := idents[p.index]
		v := map[string]any{"connection": id.Connection, "user_id": id.UserID, "provider": id.Provider, "isSocial": id.IsSocial}[p.key]
		return v, true
	case len(p.keys) > 0:
		var cur any = u.UserMetadata
		if p.root == appMetadataField {
			cur = u.AppMetadata
		}
		for _, k := range p.keys {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[k]; !ok {
				return nil, false
			}
		}
		return cur, true
	}
	v, ok := all[p.root]
	return v, ok
}

// truncate keeps an error message short whatever name it quotes.
func truncate(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}
