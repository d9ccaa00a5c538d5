-- Indexes for the user search (GET /api/v2/users?q=): every documented q form is a whole-value or
-- prefix match on one of these lower-cased columns (Auth0's v3 search does not tokenize them), so a
-- b-tree answers it. SQLite compares TEXT by bytes (BINARY), so a prefix is the range
-- [prefix, next prefix) on the same index (see sqlstore.match). email has its index since 0001 and
-- user_id its primary key.
CREATE INDEX users_username ON users (username);
CREATE INDEX users_name ON users (name_lower);
CREATE INDEX users_nickname ON users (nickname_lower);
-- Blocked users are few: a search for them reads this index in the list's order instead of the
-- whole table (the search writes the term as the bare column, as here, so the index applies).
CREATE INDEX users_blocked ON users (created_at, user_id) WHERE blocked;
