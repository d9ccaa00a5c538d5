-- One current and one next signing key per algorithm: an API signing with ES256 has its own key
-- set beside the RS256 one.
DROP INDEX signing_keys_one_current;
DROP INDEX signing_keys_one_next;
CREATE UNIQUE INDEX signing_keys_one_current_per_alg ON signing_keys (alg, state) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next_per_alg ON signing_keys (alg, state) WHERE state = 'next';
