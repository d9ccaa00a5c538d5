package domain

import (
	"net/netip"
	"slices"
	"strings"
)

// Attack protection, in the shapes of Auth0's /api/v2/attack-protection/* (each section is read and
// patched on its own). The defaults are Auth0's for a new tenant.

// Brute-force protection modes: count failures per (identifier, IP address) or per identifier alone.
const (
	ModePerIdentifierAndIP = "count_per_identifier_and_ip"
	ModePerIdentifier      = "count_per_identifier"
)

// Shields: what a protection does when it trips.
const (
	ShieldBlock             = "block"
	ShieldUserNotification  = "user_notification"
	ShieldAdminNotification = "admin_notification"
)

// The sections of /api/v2/attack-protection, as its paths name them.
const (
	SectionBruteForce       = "brute-force-protection"
	SectionSuspiciousIP     = "suspicious-ip-throttling"
	SectionBreachedPassword = "breached-password-detection"
)

// maxAllowlist is Auth0's limit on an allow-list's entries.
const maxAllowlist = 100

// AttackProtection gathers the three sections.
type AttackProtection struct {
	BruteForce       BruteForceProtection      `json:"brute_force_protection"`
	SuspiciousIP     SuspiciousIPThrottling    `json:"suspicious_ip_throttling"`
	BreachedPassword BreachedPasswordDetection `json:"breached_password_detection"`
}

// BruteForceProtection: after MaxAttempts consecutive failed sign-ins for one identifier (from one
// address, in the default mode), the identifier is blocked (shield block).
type BruteForceProtection struct {
	Enabled     bool     `json:"enabled"`
	Shields     []string `json:"shields"`
	Allowlist   []string `json:"allowlist"`
	Mode        string   `json:"mode"`
	MaxAttempts int      `json:"max_attempts"`
}

// SuspiciousIPThrottling counts attempts per address across accounts: failed sign-ins (stage
// pre-login) and sign-ups (stage pre-user-registration), each a bucket of MaxAttempts that refills
// one attempt every Rate milliseconds.
type SuspiciousIPThrottling struct {
	Enabled   bool            `json:"enabled"`
	Shields   []string        `json:"shields"`
	Allowlist []string        `json:"allowlist"`
	Stage     ThrottledStages `json:"stage"`
}

// ThrottledStages are suspicious IP throttling's two buckets.
type ThrottledStages struct {
	PreLogin            ThrottleStage `json:"pre-login"`
	PreUserRegistration ThrottleStage `json:"pre-user-registration"`
}

// ThrottleStage is a bucket: MaxAttempts at most, one more granted every Rate milliseconds.
type ThrottleStage struct {
	MaxAttempts int   `json:"max_attempts"`
	Rate        int64 `json:"rate"`
}

// BreachedPasswordDetection checks passwords against a list of passwords known from breaches: at
// sign-in (Shields), at sign-up and at a password change (the stages' shields).
type BreachedPasswordDetection struct {
	Enabled                    bool           `json:"enabled"`
	Shields                    []string       `json:"shields"`
	AdminNotificationFrequency []string       `json:"admin_notification_frequency"`
	Method                     string         `json:"method"`
	Stage                      BreachedStages `json:"stage"`
}

// BreachedStages are the checks outside sign-in.
type BreachedStages struct {
	PreUserRegistration ShieldStage `json:"pre-user-registration"`
	PreChangePassword   ShieldStage `json:"pre-change-password"`
}

// ShieldStage holds one stage's shields.
type ShieldStage struct {
	Shields []string `json:"shields"`
}

// DefaultAttackProtection is a new tenant's: brute-force protection and suspicious IP throttling on
// with Auth0's thresholds (10 failures per account and address; 100 failed sign-ins a day and 50
// sign-ups a minute per address), breached password detection off, as Auth0 ships it.
func DefaultAttackProtection() AttackProtection {
	return AttackProtection{
		BruteForce: BruteForceProtection{Enabled: true, Shields: []string{ShieldBlock}, Allowlist: []string{},
			Mode: ModePerIdentifierAndIP, MaxAttempts: 10},
		SuspiciousIP: SuspiciousIPThrottling{Enabled: true, Shields: []string{ShieldAdminNotification, ShieldBlock}, Allowlist: []string{},
			Stage: ThrottledStages{
				PreLogin:            ThrottleStage{MaxAttempts: 100, Rate: 864000},
				PreUserRegistration: ThrottleStage{MaxAttempts: 50, Rate: 1200},
			}},
		BreachedPassword: BreachedPasswordDetection{Shields: []string{}, AdminNotificationFrequency: []string{}, Method: "standard",
			Stage: BreachedStages{PreUserRegistration: ShieldStage{Shields: []string{}}, PreChangePassword: ShieldStage{Shields: []string{}}}},
	}
}

// Validate checks brute-force protection's settings.
func (b *BruteForceProtection) Validate() error {
	var errs Errors
	checkShields(&errs, "shields", b.Shields, ShieldBlock, ShieldUserNotification)
	checkAllowlist(&errs, b.Allowlist)
	if b.Mode != ModePerIdentifierAndIP && b.Mode != ModePerIdentifier {
		errs.add(Invalidf("mode", "must be %s or %s", ModePerIdentifierAndIP, ModePerIdentifier))
	}
	if b.MaxAttempts < 1 || b.MaxAttempts > 100 {
		errs.add(Invalidf("max_attempts", "must be between 1 and 100"))
	}
	return errs.Err()
}

// Validate checks suspicious IP throttling's settings.
func (s *SuspiciousIPThrottling) Validate() error {
	var errs Errors
	checkShields(&errs, "shields", s.Shields, ShieldBlock, ShieldAdminNotification)
	checkAllowlist(&errs, s.Allowlist)
	for name, st := range map[string]ThrottleStage{"pre-login": s.Stage.PreLogin, "pre-user-registration": s.Stage.PreUserRegistration} {
		if st.MaxAttempts < 1 || st.MaxAttempts > 100_000 {
			errs.add(Invalidf("stage."+name+".max_attempts", "must be between 1 and 100000"))
		}
		// At most a day per attempt: a bucket that refills slower would block an address for weeks.
		if st.Rate < 1 || st.Rate > 86_400_000 {
			errs.add(Invalidf("stage."+name+".rate", "must be between 1 and 86400000 milliseconds"))
		}
	}
	return errs.Err()
}

// Validate checks breached password detection's settings.
func (b *BreachedPasswordDetection) Validate() error {
	var errs Errors
	checkShields(&errs, "shields", b.Shields, ShieldBlock, ShieldUserNotification, ShieldAdminNotification)
	checkShields(&errs, "admin_notification_frequency", b.AdminNotificationFrequency, "immediately", "daily", "weekly", "monthly")
	if b.Method != "standard" {
		// "enhanced" is Auth0's paid Credential Guard, a service outside the tenant.
		errs.add(Invalidf("method", "must be standard: the built-in list of breached passwords"))
	}
	checkShields(&errs, "stage.pre-user-registration.shields", b.Stage.PreUserRegistration.Shields, ShieldBlock, ShieldAdminNotification)
	checkShields(&errs, "stage.pre-change-password.shields", b.Stage.PreChangePassword.Shields, ShieldBlock, ShieldAdminNotification)
	return errs.Err()
}

func checkShields(errs *Errors, field string, got []string, allowed ...string) {
	for i, s := range got {
		if !slices.Contains(allowed, s) {
			errs.add(Invalidf(field, "%q is not one of %s", s, strings.Join(allowed, ", ")))
		}
		if slices.Contains(got[:i], s) {
			errs.add(Invalidf(field, "%q is listed twice", s))
		}
	}
}

func checkAllowlist(errs *Errors, list []string) {
	if len(list) > maxAllowlist {
		errs.add(Invalidf("allowlist", "must hold at most %d entries", maxAllowlist))
	}
	for _, e := range list {
		if _, ok := parseAllowlistEntry(e); !ok {
			errs.add(Invalidf("allowlist", "%q is neither an IP address nor a CIDR range", e))
		}
	}
}

// parseAllowlistEntry reads an address (as a one-address prefix) or a CIDR range, masked.
func parseAllowlistEntry(e string) (netip.Prefix, bool) {
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(e)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// AllowlistContains reports whether ip is in the allow-list (addresses and CIDR ranges). An
// address that does not parse is in no list.
func AllowlistContains(list []string, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, e := range list {
		if p, ok := parseAllowlistEntry(e); ok && p.Contains(a) {
			return true
		}
	}
	return false
}

// HasShield reports whether shields holds s.
func HasShield(shields []string, s string) bool { return slices.Contains(shields, s) }
