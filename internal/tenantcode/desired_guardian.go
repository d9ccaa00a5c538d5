package tenantcode

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The Deploy CLI's guardian/ and branding/ files.
const (
	dirGuardian      = "guardian"
	dirFactors       = dirGuardian + "/factors"
	guardianPolicies = dirGuardian + "/policies.json"
	dirBranding      = "branding"
	brandingFile     = dirBranding + "/branding.json"
)

// guardianResources are the MFA factors (one file each, as the Management API lists them) and
// the policies.
func (s *snapshot) guardianResources(add func(Kind, *Resource)) {
	if s.guardian == nil {
		return
	}
	for _, name := range domain.GuardianFactors {
		on := s.guardian.Enabled[name] && domain.GuardianSupported(name)
		add(KindGuardianFactor, &Resource{Key: name, File: dirFactors + "/" + name + ".json",
			Doc: map[string]any{"name": name, "enabled": on}})
	}
	policies := s.guardian.Policies
	if policies == nil {
		policies = []string{}
	}
	add(KindGuardianPolicies, &Resource{Key: "policies", File: guardianPolicies, Doc: toMap(map[string]any{"policies": policies})})
}

func (s *snapshot) brandingResource(add func(Kind, *Resource)) {
	if s.settings == nil {
		return
	}
	doc := map[string]any{}
	if s.settings.Branding != nil {
		doc = toMap(s.settings.Branding)
	}
	add(KindBranding, &Resource{Key: "branding", File: brandingFile, Doc: doc})
}

func (b *builder) guardian() error {
	if ok, err := b.dirPresent(dirGuardian); err != nil || !ok {
		return err
	}
	g := *b.cur.guardian
	g.Enabled = maps.Clone(g.Enabled)
	if g.Enabled == nil {
		g.Enabled = map[string]bool{}
	}
	if ok, err := b.dirPresent(dirFactors); err != nil {
		return err
	} else if ok {
		names, err := b.src.list(dirFactors, ".json")
		if err != nil {
			return err
		}
		b.d.managed[KindGuardianFactor] = true
		seen := map[string]string{}
		for _, n := range names {
			file := dirFactors + "/" + n
			doc, err := b.src.readJSON(file)
			if err != nil {
				b.fail(err)
				continue
			}
			b.warnings = append(b.warnings, ignored(file, doc, map[string]bool{"name": true, "enabled": true}, "trial_expired")...)
			var f struct {
				Name    string `json:"name"`
				Enabled *bool  `json:"enabled"`
			}
			if err := overlay(file, struct{}{}, doc, &f); err != nil {
				b.fail(err)
				continue
			}
			switch {
			case !slices.Contains(domain.GuardianFactors, f.Name):
				b.fail(fileErr(file, "name: %q is not a factor (%s)", f.Name, strings.Join(domain.GuardianFactors, ", ")))
				continue
			case seen[f.Name] != "":
				b.fail(fileErr(file, "factor %q is also defined in %s", f.Name, seen[f.Name]))
				continue
			case f.Enabled == nil:
				b.fail(fileErr(file, "enabled: is required"))
				continue
			case *f.Enabled && !domain.GuardianSupported(f.Name):
				b.fail(fileErr(file, "enabled: the %s factor is not supported by this server (otp, email, webauthn-roaming, webauthn-platform and recovery-code are)", f.Name))
				continue
			}
			seen[f.Name] = file
			g.Enabled[f.Name] = *f.Enabled
		}
	}
	if ok, err := b.src.exists(guardianPolicies, false); err != nil {
		return err
	} else if ok {
		doc, err := b.src.readJSON(guardianPolicies)
		if err != nil {
			return err
		}
		b.d.managed[KindGuardianPolicies] = true
		b.warnings = append(b.warnings, ignored(guardianPolicies, doc, map[string]bool{"policies": true})...)
		var p struct {
			Policies []string `json:"policies"`
		}
		if err := overlay(guardianPolicies, struct{}{}, doc, &p); err != nil {
			return err
		}
		if len(p.Policies) > 1 {
			return fileErr(guardianPolicies, "policies: at most one policy")
		}
		for i, x := range p.Policies {
			if x != domain.PolicyAllApplications && x != domain.PolicyConfidenceScore {
				return fileErr(guardianPolicies, "policies[%d]: %q is not all-applications or confidence-score", i, x)
			}
		}
		if p.Policies == nil {
			p.Policies = []string{}
		}
		g.Policies = p.Policies
	}
	b.d.guardian = &g
	return nil
}

func (b *builder) branding() error {
	ok, err := b.src.exists(brandingFile, false)
	if err != nil || !ok {
		return err
	}
	doc, err := b.src.readJSON(brandingFile)
	if err != nil {
		return err
	}
	b.d.managed[KindBranding] = true
	b.warnings = append(b.warnings, ignored(brandingFile, doc, jsonNames(reflect.TypeOf(domain.Branding{}), nil))...)
	base := &domain.Branding{}
	if b.d.settings.Branding != nil {
		base = b.d.settings.Branding
	}
	br := &domain.Branding{}
	if err := overlay(brandingFile, base, doc, br); err != nil {
		return err
	}
	if err := br.Validate(); err != nil {
		return &FileError{File: brandingFile, Err: err}
	}
	s := *b.d.settings
	s.Branding = br
	if reflect.DeepEqual(toMap(br), map[string]any{}) {
		s.Branding = nil
	}
	b.d.settings = &s
	return nil
}

// putGuardian writes the desired MFA settings (factors and policies are one document).
func (a *applier) putGuardian(ctx context.Context, tx store.Store) error {
	return tx.PutGuardianSettings(ctx, *a.des.guardian)
}
