-- Idempotency keys of the HTTP edge (DESIGN.md §3 rule 5, http/idempotency.hpp).
-- One row per caller (`scope`: the user id, '' for anonymous callers) and key.
-- A request that finds no row, or an expired one, claims the key: 'running',
-- locked until `locked_until` in PostgreSQL's time, so that a node that dies
-- mid-request holds up its key only that long. An answer worth replaying
-- makes the row 'done' and is kept until `expires_at`; any other answer
-- deletes the row, so that a retry runs again. `attempt` tells one claim from
-- the next: a request whose lock passed and was taken over can no longer
-- store its answer over the new one's.
CREATE TABLE idempotency_keys (
  scope        TEXT NOT NULL,
  key          TEXT NOT NULL,
  attempt      UUID NOT NULL DEFAULT gen_random_uuid(),
  fingerprint  BYTEA NOT NULL, -- SHA-256 of the method, path, query and body
  state        TEXT NOT NULL CHECK (state IN ('running', 'done')),
  status       INTEGER CHECK ((state = 'done') = (status IS NOT NULL)),
  content_type TEXT,
  headers      JSONB,          -- [[name, value], ...]: the answer's Set-Cookie and Location
  body         BYTEA,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  locked_until TIMESTAMPTZ NOT NULL,
  expires_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (scope, key)
);
-- For the purge, which deletes expired keys in bounded batches.
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
