-- Shard ownership (DESIGN.md §4). One row per shard: the node that holds it
-- (by name, and by incarnation to tell a restarted process from the one it
-- replaced), the epoch that every takeover bumps, and until when the lease
-- holds, in PostgreSQL's time. Rows are created by the nodes, as the number
-- of shards is configuration.
CREATE TABLE shard_leases (
  shard             INTEGER PRIMARY KEY,
  owner             TEXT,
  owner_incarnation BIGINT,
  epoch             BIGINT NOT NULL DEFAULT 0,
  expires_at        TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);

-- Which lease a check was written under: the write is fenced by it, and the
-- history shows which node made each check.
ALTER TABLE checks ADD COLUMN shard INTEGER, ADD COLUMN epoch BIGINT, ADD COLUMN owner TEXT;
