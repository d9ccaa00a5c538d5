-- Indexes for the user search (GET /api/v2/users?q=): every documented q form is a whole-value or
-- prefix match on one of these lower-cased columns (Auth0's v3 search does not tokenize them), so a
-- b-tree answers it. The search compares in the "C" collation (bytes, as SQLite does), where a
-- prefix is the range [prefix, next prefix); an index in that collation serves it whatever the
-- database's default collation is (see sqlstore.match). No extension is needed: pg_trgm would serve
-- infix and suffix wildcards, which q refuses.
CREATE INDEX users_search_user_id ON users (user_id COLLATE "C");
CREATE INDEX users_search_email ON users (email COLLATE "C");
CREATE INDEX users_search_username ON users (username COLLATE "C");
CREATE INDEX users_search_name ON users (name_lower COLLATE "C");
CREATE INDEX users_search_nickname ON users (nickname_lower COLLATE "C");
-- Blocked users are few: a search for them reads this index in the list's order instead of the
-- whole table (the search writes the term as the bare column, as here, so the index applies).
CREATE INDEX users_blocked ON users (created_at, user_id) WHERE blocked;
