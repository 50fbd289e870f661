-- Sagas (DESIGN.md §6). A saga's row and its steps are written before each
-- step is sent and after each reply, under the lease of the saga's shard,
-- so that whoever holds the shard next resumes it where it stood.
CREATE TABLE sagas (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('running', 'compensating', 'completed', 'compensated')),
  step        INTEGER NOT NULL, -- the step running, or being compensated
  shard       INTEGER NOT NULL,
  input       JSONB NOT NULL,   -- what it was started with; never a clear password
  context     JSONB NOT NULL DEFAULT '{}', -- what steps answered, for the steps after them
  error       TEXT,             -- the business failure that made it compensate
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ
);
CREATE INDEX sagas_unfinished ON sagas (shard) WHERE state IN ('running', 'compensating');
CREATE INDEX sagas_created ON sagas (created_at);

-- One row per step of a saga, for GET /api/v1/sagas/{id}.
CREATE TABLE saga_steps (
  saga_id     TEXT NOT NULL REFERENCES sagas (id),
  step        INTEGER NOT NULL,
  name        TEXT NOT NULL,
  pivot       BOOLEAN NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'compensating',
                                              'compensated')),
  attempts    INTEGER NOT NULL DEFAULT 0, -- of the action, then of the compensation
  last_error  TEXT,
  started_at  TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  PRIMARY KEY (saga_id, step)
);

-- The saga gateway's client service: a customer, pending until the user
-- behind it is registered, then approved (or rejected by compensation).
CREATE TABLE clients (
  id         TEXT PRIMARY KEY,
  login      TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name  TEXT NOT NULL,
  email      TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  user_id    TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Orders of the order saga: pending, then confirmed (paid) or rejected.
CREATE TABLE orders (
  id         TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  sum        BIGINT NOT NULL CHECK (sum > 0),
  status     TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_user ON orders (user_id, created_at);

-- Notifications to users. `key` is the command that made it (saga_id:step):
-- a repeat adds nothing.
CREATE TABLE notifications (
  id         BIGSERIAL PRIMARY KEY,
  key        TEXT NOT NULL UNIQUE,
  user_id    TEXT,
  type       TEXT NOT NULL,
  data       JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user ON notifications (user_id, id);
