package sqlstore

import "io/fs"

// Violation classifies a constraint error reported by the database.
type Violation int

const (
	NoViolation Violation = iota
	UniqueViolation
	ForeignKeyViolation
)

// Dialect is everything that differs between the engines: the driver's error classification, the
// migrations, and the few statements whose SQL cannot be written once for both (see statements.go).
type Dialect struct {
	Name string
	// Migrations holds the schema as files named NNNN_description.sql, applied in order.
	Migrations fs.FS
	// MigrateLock runs first in the migration transaction, so that two nodes starting at once do not
	// both migrate; empty when beginning the transaction already excludes other writers (SQLite's
	// BEGIN IMMEDIATE).
	MigrateLock string
	// Classify reports whether err is a unique or foreign-key violation and, for a unique one, the
	// logical key "table.field" it concerns (see conflictErrors).
	Classify func(err error) (Violation, string)
	// Retryable reports whether a transaction failed on a serialization conflict or deadlock and may
	// be run again from the start.
	Retryable func(err error) bool
	// Unavailable reports whether err means the database connection was lost or could not be made
	// (the transaction's fate is then the database's; the caller may retry later): such errors are
	// wrapped with domain.ErrUnavailable. Nil: none are recognised.
	Unavailable func(err error) bool
	// CacheStatements keeps the hot statements prepared on each connection (see stmtCache), for a
	// driver that prepares a statement afresh on every call given query text.
	CacheStatements bool
	// ByteOrder is the collation clause after a column that makes text compare byte by byte
	// (code point order), so that a prefix is a range an index serves; empty when that is already
	// the engine's comparison (SQLite's BINARY).
	ByteOrder string
	// PrefixProbe, when set, makes a user search with a prefix or suffix count its matches through
	// the indexes first, up to this many a branch: fewer, and every match is read from the index
	// entries, then sorted (see userOrder.ids); as many, and the search reads users in the list's
	// order instead, keeping those that match, which finds a page of a broad prefix at once. For an
	// engine whose planner cannot tell a broad prefix from a narrow one: SQLite without statistics,
	// PostgreSQL on the reversed columns, whose values share long prefixes.
	PrefixProbe int
	// PlanPerCall, when set, is passed before the arguments of a user search so that the engine
	// plans it for the values given: a prefix that matches a handful of users is best read through
	// its index, one that matches most of them in the list's order, and a plan cached for any
	// value (PostgreSQL's generic plan of a prepared statement) cannot tell which.
	PlanPerCall any
	// Overrides replaces statements of the generic table with this engine's text. It lists only
	// what the engine must say otherwise, each with why; every override differs from the generic
	// text (the backends' tests check it).
	Overrides map[Stmt]string
}
