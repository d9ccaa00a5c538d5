package guard

import (
	"context"
	"fmt"
	"time"
)

// Auth0 refuses an account more than 20 successful sign-ins a minute from one address (log code
// limit_sul), whatever brute-force protection says: a script that signs one account in over and
// over is not a person.
const (
	DefaultLoginsPerMinute = 20
	loginsWindow           = time.Minute
)

// LoginRate is the verdict on one successful sign-in.
type LoginRate struct {
	Allowed    bool
	RetryAfter int  // seconds, when refused
	Logs       bool // the first refusal of the minute: worth a limit_sul event
}

// SignedIn counts a successful sign-in for user from ip (after the password was verified) and
// says whether it may go on. It follows brute-force protection's switch and allow-list.
func (b *BruteForce) SignedIn(ctx context.Context, ip, user string) (LoginRate, error) {
	if b == nil {
		return LoginRate{Allowed: true}, nil
	}
	r, err := b.rule(ctx, ip)
	if err != nil {
		return LoginRate{Allowed: true}, fmt.Errorf("brute-force protection: %w", err)
	}
	if r.off {
		return LoginRate{Allowed: true}, nil
	}
	now := b.now()
	n, exp, err := b.Counters.HitCounter(ctx, counterKey("sul", user, ip), 1, now, now.Add(loginsWindow), false)
	if err != nil {
		return LoginRate{Allowed: true}, fmt.Errorf("brute-force protection: %w", err)
	}
	if n <= DefaultLoginsPerMinute {
		return LoginRate{Allowed: true}, nil
	}
	return LoginRate{RetryAfter: retryAfter(now, exp), Logs: n == DefaultLoginsPerMinute+1}, nil
}
