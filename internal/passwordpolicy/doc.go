// Package passwordpolicy decides whether a new password is acceptable for a database connection,
// with Auth0's rules and words: the strength levels none, low, fair, good and excellent (Auth0's
// password-sheriff rules, reported rule by rule as a PasswordStrengthError's description and
// policy), password_complexity_options.min_length, password_dictionary (a built-in list of the
// 10,000 most common passwords, embedded, plus the tenant's own words), password_no_personal_info
// and password_history (the caller passes the user's previous hashes and its verifier).
//
// Every place that accepts a new password asks it: the hosted signup and reset pages,
// POST /dbconnections/signup, and POST/PATCH /api/v2/users. Each turns a Violation into its own
// transport's answer (the legacy /dbconnections JSON, the Management API's error, a page's message).
//
// It must not: hash or store anything (history hashes come from the caller), know any transport, or
// read the connection from the store.
package passwordpolicy
