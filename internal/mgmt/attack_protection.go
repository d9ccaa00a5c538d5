package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// attackProtection serves /attack-protection/{brute-force-protection, suspicious-ip-throttling,
// breached-password-detection} in Auth0's shapes: GET returns a section, PATCH replaces the fields
// it is given (a stage's fields one by one) and returns the section. Each section is stored on its
// own; the checks read them through guard.Policy.
type attackProtection struct {
	st store.AttackProtectionStore
}

func (h *Handler) attackProtectionRoutes() []route {
	g := &attackProtection{st: h.st}
	read, update := []string{"read:attack_protection"}, []string{"update:attack_protection"}
	return []route{
		{method: "GET", path: "/attack-protection/brute-force-protection", scopes: read, fn: g.getBruteForce},
		{method: "PATCH", path: "/attack-protection/brute-force-protection", scopes: update,
			desc: "Update brute force protection settings", fn: g.patchBruteForce},
		{method: "GET", path: "/attack-protection/suspicious-ip-throttling", scopes: read, fn: g.getSuspiciousIP},
		{method: "PATCH", path: "/attack-protection/suspicious-ip-throttling", scopes: update,
			desc: "Update suspicious IP throttling settings", fn: g.patchSuspiciousIP},
		{method: "GET", path: "/attack-protection/breached-password-detection", scopes: read, fn: g.getBreached},
		{method: "PATCH", path: "/attack-protection/breached-password-detection", scopes: update,
			desc: "Update breached password detection settings", fn: g.patchBreached},
	}
}

type bruteForceBody struct {
	Enabled     *bool     `json:"enabled"`
	Shields     *[]string `json:"shields"`
	Allowlist   *[]string `json:"allowlist"`
	Mode        *string   `json:"mode"`
	MaxAttempts *int      `json:"max_attempts"`
}

type stageBody struct {
	MaxAttempts *int   `json:"max_attempts"`
	Rate        *int64 `json:"rate"`
}

type suspiciousIPBody struct {
	Enabled   *bool     `json:"enabled"`
	Shields   *[]string `json:"shields"`
	Allowlist *[]string `json:"allowlist"`
	Stage     *struct {
		PreLogin            *stageBody `json:"pre-login"`
		PreUserRegistration *stageBody `json:"pre-user-registration"`
	} `json:"stage"`
}

type shieldStageBody struct {
	Shields *[]string `json:"shields"`
}

type breachedBody struct {
	Enabled                    *bool     `json:"enabled"`
	Shields                    *[]string `json:"shields"`
	AdminNotificationFrequency *[]string `json:"admin_notification_frequency"`
	Method                     *string   `json:"method"`
	Stage                      *struct {
		PreUserRegistration *shieldStageBody `json:"pre-user-registration"`
		PreChangePassword   *shieldStageBody `json:"pre-change-password"`
	} `json:"stage"`
}

// set copies *src into *dst when src is given; a list given as null becomes empty.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func list(src *[]string) *[]string {
	if src != nil && *src == nil {
		return &[]string{}
	}
	return src
}

func (g *attackProtection) getBruteForce(c *call) (int, any, error) {
	ap, err := g.st.GetAttackProtection(c.ctx())
	return http.StatusOK, ap.BruteForce, err
}

func (g *attackProtection) patchBruteForce(c *call) (int, any, error) {
	var b bruteForceBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	ap, err := g.st.GetAttackProtection(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	s := ap.BruteForce
	set(&s.Enabled, b.Enabled)
	set(&s.Shields, list(b.Shields))
	set(&s.Allowlist, list(b.Allowlist))
	set(&s.Mode, b.Mode)
	set(&s.MaxAttempts, b.MaxAttempts)
	if err := g.st.PutBruteForceProtection(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}

func (g *attackProtection) getSuspiciousIP(c *call) (int, any, error) {
	ap, err := g.st.GetAttackProtection(c.ctx())
	return http.StatusOK, ap.SuspiciousIP, err
}

func (g *attackProtection) patchSuspiciousIP(c *call) (int, any, error) {
	var b suspiciousIPBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	ap, err := g.st.GetAttackProtection(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	s := ap.SuspiciousIP
	set(&s.Enabled, b.Enabled)
	set(&s.Shields, list(b.Shields))
	set(&s.Allowlist, list(b.Allowlist))
	if b.Stage != nil {
		for _, st := range []struct {
			dst *domain.ThrottleStage
			src *stageBody
		}{{&s.Stage.PreLogin, b.Stage.PreLogin}, {&s.Stage.PreUserRegistration, b.Stage.PreUserRegistration}} {
			if st.src != nil {
				set(&st.dst.MaxAttempts, st.src.MaxAttempts)
				set(&st.dst.Rate, st.src.Rate)
			}
		}
	}
	if err := g.st.PutSuspiciousIPThrottling(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}

func (g *attackProtection) getBreached(c *call) (int, any, error) {
	ap, err := g.st.GetAttackProtection(c.ctx())
	return http.StatusOK, ap.BreachedPassword, err
}

func (g *attackProtection) patchBreached(c *call) (int, any, error) {
	var b breachedBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	ap, err := g.st.GetAttackProtection(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	s := ap.BreachedPassword
	set(&s.Enabled, b.Enabled)
	set(&s.Shields, list(b.Shields))
	set(&s.AdminNotificationFrequency, list(b.AdminNotificationFrequency))
	set(&s.Method, b.Method)
	if b.Stage != nil {
		if st := b.Stage.PreUserRegistration; st != nil {
			set(&s.Stage.PreUserRegistration.Shields, list(st.Shields))
		}
		if st := b.Stage.PreChangePassword; st != nil {
			set(&s.Stage.PreChangePassword.Shields, list(st.Shields))
		}
	}
	if err := g.st.PutBreachedPasswordDetection(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}
