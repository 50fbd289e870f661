-- Targets scraped by the checkers, their checks, and the samples scraped.
CREATE TABLE targets (
  id          BIGSERIAL PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL CHECK (kind IN ('prometheus', 'http')),
  url         TEXT NOT NULL,
  interval_ms INTEGER NOT NULL CHECK (interval_ms >= 100),
  timeout_ms  INTEGER NOT NULL CHECK (timeout_ms >= 10),
  paused      BOOLEAN NOT NULL DEFAULT false,
  version     BIGINT NOT NULL DEFAULT 1,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- No foreign key to targets: a target's history outlives it, and a batch of
-- results must not fail because one target was deleted meanwhile.
CREATE TABLE checks (
  id              BIGSERIAL PRIMARY KEY,
  target_id       BIGINT NOT NULL,
  target_name     TEXT COLLATE "C" NOT NULL,
  checked_at      TIMESTAMPTZ NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pass', 'fail')),
  http_status     INTEGER,
  latency_ms      DOUBLE PRECISION NOT NULL,
  error           TEXT,
  samples         INTEGER NOT NULL DEFAULT 0,
  malformed_lines INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checks_by_target ON checks (target_name, checked_at);
CREATE INDEX checks_by_target_id ON checks (target_id, checked_at);
CREATE INDEX checks_by_time ON checks (checked_at);

-- Built to take hundreds of thousands of rows a second by COPY: time as
-- epoch milliseconds, names compared bytewise (COLLATE "C"), labels as the
-- JSON text the checker wrote (valid JSON, not parsed again here), and no
-- primary key: a sample's id is (batch << 20) + its index in the batch,
-- one sequence value per batch, unique and growing with no per-row nextval
-- and no B-tree to maintain. BRIN serves retention, as rows arrive in time
-- order.
CREATE SEQUENCE sample_batches;
CREATE TABLE samples (
  id        BIGINT NOT NULL,
  target_id BIGINT NOT NULL,
  name      TEXT COLLATE "C" NOT NULL,
  labels    TEXT NOT NULL,
  value     DOUBLE PRECISION NOT NULL,
  ts_ms     BIGINT NOT NULL
);
CREATE INDEX samples_by_name ON samples (name, ts_ms);
CREATE INDEX samples_by_time ON samples USING brin (ts_ms);
