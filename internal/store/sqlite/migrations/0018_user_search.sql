-- Indexes for the user search (GET /api/v2/users?q=). Every documented q form is a whole-value or
-- prefix match on one of these lower-cased columns (Auth0's v3 search does not tokenize them), so a
-- b-tree answers it: SQLite compares TEXT by bytes (BINARY), where a prefix is the range
-- [prefix, next prefix) (see sqlstore.match). Each index carries the list's order (created_at,
-- user_id) and the flags a search may add (email_verified, blocked), so the page of a search that
-- matches thousands is chosen from the index alone and only its rows are read. users_search_email
-- replaces users_email, which it leads with.
DROP INDEX users_email;
CREATE INDEX users_search_email ON users (email, created_at, user_id, email_verified, blocked);
CREATE INDEX users_search_user_id ON users (user_id, created_at, email_verified, blocked);
CREATE INDEX users_search_username ON users (username, created_at, user_id, email_verified, blocked);
CREATE INDEX users_search_name ON users (name_lower, created_at, user_id, email_verified, blocked);
CREATE INDEX users_search_nickname ON users (nickname_lower, created_at, user_id, email_verified, blocked);
-- Most users share a connection: a search within one (identities.connection, GET /users?connection=)
-- reads this index in the list's order rather than sorting the connection's users.
CREATE INDEX users_search_connection ON users (connection, created_at, user_id, email_verified, blocked);
-- Blocked users are few: a search for them reads this index in the list's order instead of the
-- whole table (the search writes the term as the bare column, as here, so the index applies).
CREATE INDEX users_blocked ON users (created_at, user_id) WHERE blocked;
