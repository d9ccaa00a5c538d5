-- One current and one next signing key per algorithm: an API signing with ES256 has its own key
-- set beside the RS256 one. State is the last column of each index because a violation's message
-- lists the index's columns and the last one names the conflict ("signing_keys.state", as in 0001).
DROP INDEX signing_keys_one_current;
DROP INDEX signing_keys_one_next;
CREATE UNIQUE INDEX signing_keys_one_current_per_alg ON signing_keys (alg, state) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next_per_alg ON signing_keys (alg, state) WHERE state = 'next';
