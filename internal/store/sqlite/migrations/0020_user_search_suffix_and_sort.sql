-- Suffix matches and sorted lists for the user search (GET /api/v2/users).
--
-- Auth0 answers a leading wildcard (name:*usa, at least three characters after it). A suffix of a
-- value is a prefix of the value reversed, so each text column the search reads gets a reversed
-- twin, written with it by every statement that writes users (sqlstore.reversedArgs), and the same
-- b-tree range as a prefix answers it (sqlstore.match). SQLite has no reverse(): the backfill walks
-- each value's characters from the end (substr counts characters, as Go's runes do).
ALTER TABLE users ADD COLUMN email_rev TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN username_rev TEXT;
ALTER TABLE users ADD COLUMN name_rev TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN nickname_rev TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN user_id_rev TEXT NOT NULL DEFAULT '';
UPDATE users SET
	email_rev = (WITH RECURSIVE r(i, o) AS (SELECT length(users.email), '' UNION ALL
		SELECT i - 1, o || substr(users.email, i, 1) FROM r WHERE i > 0) SELECT o FROM r WHERE i = 0),
	username_rev = (WITH RECURSIVE r(i, o) AS (SELECT length(users.username), '' UNION ALL
		SELECT i - 1, o || substr(users.username, i, 1) FROM r WHERE i > 0) SELECT o FROM r WHERE i = 0),
	name_rev = (WITH RECURSIVE r(i, o) AS (SELECT length(users.name_lower), '' UNION ALL
		SELECT i - 1, o || substr(users.name_lower, i, 1) FROM r WHERE i > 0) SELECT o FROM r WHERE i = 0),
	nickname_rev = (WITH RECURSIVE r(i, o) AS (SELECT length(users.nickname_lower), '' UNION ALL
		SELECT i - 1, o || substr(users.nickname_lower, i, 1) FROM r WHERE i > 0) SELECT o FROM r WHERE i = 0),
	user_id_rev = (WITH RECURSIVE r(i, o) AS (SELECT length(users.user_id), '' UNION ALL
		SELECT i - 1, o || substr(users.user_id, i, 1) FROM r WHERE i > 0) SELECT o FROM r WHERE i = 0);
-- A NULL username stays NULL (length(NULL) starts no walk); an empty value reverses to ''.
CREATE INDEX users_search_email_rev ON users (email_rev, created_at, user_id);
CREATE INDEX users_search_username_rev ON users (username_rev, created_at, user_id);
CREATE INDEX users_search_name_rev ON users (name_rev, created_at, user_id);
CREATE INDEX users_search_nickname_rev ON users (nickname_rev, created_at, user_id);
CREATE INDEX users_search_user_id_rev ON users (user_id_rev, created_at, user_id);
-- GET /users?sort=field:1|-1: each sortable column leads an index that continues in the list's
-- tie order, read forwards or backwards for a page at once. The text columns' search indexes
-- (migration 0018) already do; created_at has users_created. A NULL last_login sorts first
-- ascending, SQLite's own order.
CREATE INDEX users_sort_updated_at ON users (updated_at, created_at, user_id);
CREATE INDEX users_sort_last_login ON users (last_login, created_at, user_id);
CREATE INDEX users_sort_logins_count ON users (logins_count, created_at, user_id);
