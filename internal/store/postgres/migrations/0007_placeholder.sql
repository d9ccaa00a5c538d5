-- Placeholder for the version-7 migration another branch adds; delete this file when that one lands
-- (migrations must be numbered without gaps).
SELECT 1;
