-- Suffix matches and sorted lists for the user search (GET /api/v2/users).
--
-- Auth0 answers a leading wildcard (name:*usa, at least three characters after it). A suffix of a
-- value is a prefix of the value reversed, so each text column the search reads gets a reversed
-- twin, written with it by every statement that writes users (sqlstore.reversedArgs), and the same
-- b-tree range as a prefix answers it (sqlstore.match), in the "C" collation as in migration 0018.
-- Columns rather than expression indexes on reverse(): SQLite has no reverse(), and one set of
-- statements serves both engines. reverse() counts characters, as Go's runes do.
ALTER TABLE users
	ADD COLUMN email_rev TEXT NOT NULL DEFAULT '',
	ADD COLUMN username_rev TEXT,
	ADD COLUMN name_rev TEXT NOT NULL DEFAULT '',
	ADD COLUMN nickname_rev TEXT NOT NULL DEFAULT '',
	ADD COLUMN user_id_rev TEXT NOT NULL DEFAULT '';
UPDATE users SET email_rev = reverse(email), username_rev = reverse(username), name_rev = reverse(name_lower),
	nickname_rev = reverse(nickname_lower), user_id_rev = reverse(user_id);
CREATE INDEX users_search_email_rev ON users (email_rev COLLATE "C", created_at, user_id);
CREATE INDEX users_search_username_rev ON users (username_rev COLLATE "C", created_at, user_id);
CREATE INDEX users_search_name_rev ON users (name_rev COLLATE "C", created_at, user_id);
CREATE INDEX users_search_nickname_rev ON users (nickname_rev COLLATE "C", created_at, user_id);
CREATE INDEX users_search_user_id_rev ON users (user_id_rev COLLATE "C", created_at, user_id);
-- GET /users?sort=field:1|-1: each sortable column leads an index that continues in the list's
-- tie order, read forwards or backwards for a page at once. The text columns' search indexes
-- (migration 0018) already do; created_at has users_created. A NULL last_login sorts first
-- ascending, as on SQLite (the search says NULLS FIRST / NULLS LAST to match this index).
CREATE INDEX users_sort_updated_at ON users (updated_at, created_at, user_id);
CREATE INDEX users_sort_last_login ON users (last_login NULLS FIRST, created_at, user_id);
CREATE INDEX users_sort_logins_count ON users (logins_count, created_at, user_id);
-- username may be NULL: sorted NULLS FIRST as on SQLite, which users_search_username (NULLS LAST,
-- PostgreSQL's default) cannot serve.
CREATE INDEX users_sort_username ON users (username COLLATE "C" NULLS FIRST, created_at, user_id);
