package sqlstore

// actionOpsSQL holds the statements of running Actions: the shared api.cache and the execution
// records.
var actionOpsSQL = map[Stmt]string{
	ActionCacheLock: ``,
	ActionCacheGet:  `SELECT value, expires_at FROM action_cache WHERE trigger_id = $1 AND cache_key = $2 AND expires_at > $3`,
	ActionCacheList: `SELECT cache_key, value, expires_at FROM action_cache WHERE trigger_id = $1 AND expires_at > $2
		ORDER BY expires_at, cache_key`,
	ActionCachePut: `INSERT INTO action_cache (trigger_id, cache_key, value, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (trigger_id, cache_key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
	ActionCacheDelete:          `DELETE FROM action_cache WHERE trigger_id = $1 AND cache_key = $2`,
	ActionCacheDeleteExpiredOf: `DELETE FROM action_cache WHERE trigger_id = $1 AND expires_at <= $2`,
	DeleteExpiredActionCache:   `DELETE FROM action_cache WHERE expires_at <= $1`,

	ActionExecutionInsert:     `INSERT INTO action_executions (id, trigger_id, created_at, doc) VALUES ($1, $2, $3, $4)`,
	ActionExecutionGet:        `SELECT doc FROM action_executions WHERE id = $1`,
	DeleteOldActionExecutions: `DELETE FROM action_executions WHERE created_at <= $1`,
}
