-- Version 8 is numbered by a migration that lands separately; this file keeps the versions
-- contiguous until then and is replaced by it (it changes nothing).
SELECT 1;
