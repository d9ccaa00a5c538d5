package guard

// The answers of every password sign-in, hosted form and token endpoint alike, so that both say the
// same thing in Auth0's words (spec §1.3).
const (
	// MsgWrongCredentials is the one answer for an unknown email and a wrong password alike, so that
	// no answer tells which emails are registered.
	MsgWrongCredentials = "Wrong email or password."
	// MsgBlocked is the answer while brute-force protection blocks a user from an address.
	MsgBlocked = "Your account has been blocked after multiple consecutive login attempts. Please try again later."
	// MsgUserBlocked is the answer to the right password of a user an administrator blocked; it is
	// given only after the password was verified, so it reveals nothing to a guesser.
	MsgUserBlocked = "user is blocked"
	// MsgPasswordLeaked is Auth0's answer (error password_leaked) to a sign-in with a password on
	// the list of breached passwords, given only once the password was verified.
	MsgPasswordLeaked = "This login attempt has been blocked because the password you're using was previously disclosed through a data breach (not in this application)."
	// MsgChoosePasswordLeaked refuses a breached password as a new one (sign-up, reset, change).
	MsgChoosePasswordLeaked = "This password has previously appeared in a data breach of another site. Please choose a different password."
	// MsgSuspiciousIP is the answer while suspicious IP throttling refuses an address.
	MsgSuspiciousIP = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator."
)

// MsgTooManyLogins is the answer to a sign-in past DefaultLoginsPerMinute for one account from
// one address (limit_sul).
const MsgTooManyLogins = "Too many sign-ins for this account from this address. Please try again in a minute."
