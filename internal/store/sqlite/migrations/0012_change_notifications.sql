-- PostgreSQL's migration 0007 makes configuration writes notify every node. SQLite serves one node,
-- whose own writes already drop its caches: nothing to add. The step exists so that both engines
-- count the same versions.
SELECT 1;
