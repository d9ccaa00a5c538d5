-- Indexes for the user search (GET /api/v2/users?q=). Every documented q form is a whole-value or
-- prefix match on one of these lower-cased columns (Auth0's v3 search does not tokenize them), so a
-- b-tree answers it. The search compares in the "C" collation (bytes, as SQLite does), where a
-- prefix is the range [prefix, next prefix); these indexes are in that collation, so they serve it
-- whatever the database's default collation is (see sqlstore.match). Each carries the list's order
-- (created_at, user_id) and the flags a search may add (email_verified, blocked), so the page of a
-- search that matches thousands is chosen from the index alone and only its rows are read. No
-- extension is needed: pg_trgm would serve infix and suffix wildcards, which q refuses.
CREATE INDEX users_search_email ON users (email COLLATE "C", created_at, user_id, email_verified, blocked);
CREATE INDEX users_search_user_id ON users (user_id COLLATE "C", created_at, email_verified, blocked);
CREATE INDEX users_search_username ON users (username COLLATE "C", created_at, user_id, email_verified, blocked);
CREATE INDEX users_search_name ON users (name_lower COLLATE "C", created_at, user_id, email_verified, blocked);
CREATE INDEX users_search_nickname ON users (nickname_lower COLLATE "C", created_at, user_id, email_verified, blocked);
-- Most users share a connection: a search within one (identities.connection, GET /users?connection=)
-- reads this index in the list's order rather than sorting the connection's users.
CREATE INDEX users_search_connection ON users (connection COLLATE "C", created_at, user_id, email_verified, blocked);
-- Blocked users are few: a search for them reads this index in the list's order instead of the
-- whole table (the search writes the term as the bare column, as here, so the index applies).
CREATE INDEX users_blocked ON users (created_at, user_id) WHERE blocked;
