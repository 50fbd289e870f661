-- The transactional outbox (DESIGN.md §8). A domain change and the events
-- that describe it commit together; the relay publishes each event to Kafka
-- and deletes its row once the broker has acknowledged it, so the table
-- holds only what is still to be sent. Events go out in the order of their
-- transaction ids, then of their own ids: a relay takes only events of
-- transactions older than every one still running, so no event can appear
-- behind one already sent. `key_hash` decides which node relays the event:
-- the holder of shard key_hash % cluster.shards.
CREATE TABLE outbox (
  id          BIGSERIAL PRIMARY KEY,
  xid         XID8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id    UUID NOT NULL DEFAULT gen_random_uuid(),
  topic       TEXT NOT NULL,  -- after the configured prefix: 'checks', 'events.targets'
  key         TEXT NOT NULL,
  key_hash    BIGINT NOT NULL CHECK (key_hash >= 0),
  type        TEXT NOT NULL,
  source      TEXT NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  data        JSONB NOT NULL
);
CREATE INDEX outbox_order ON outbox (xid, id);

-- Wakes the relays at the commit of any transaction that added events; the
-- notifications of one transaction fold into one.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('troupe_outbox', '');
  RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- What can never be delivered, kept for a person to look at instead of
-- blocking what comes after it: outbox events Kafka refuses (too large, say),
-- and consumed messages no handler can take (unparsable, unknown type).
CREATE TABLE dead_letters (
  id          BIGSERIAL PRIMARY KEY,
  origin      TEXT NOT NULL CHECK (origin IN ('outbox', 'consumer')),
  topic       TEXT NOT NULL,
  "partition" INTEGER,
  "offset"    BIGINT,
  key         TEXT,
  payload     TEXT NOT NULL,
  error       TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
