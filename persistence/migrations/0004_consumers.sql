-- Consumed events (DESIGN.md §8). A handler records the event's id here in
-- the transaction of its effect, so that a redelivery changes nothing.
CREATE TABLE processed_events (
  subscription TEXT NOT NULL,
  event_id     UUID NOT NULL,
  processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription, event_id)
);

-- Notes on a target from outside (a deploy, an incident), fed by the
-- `annotations` subscription.
CREATE TABLE annotations (
  id          BIGSERIAL PRIMARY KEY,
  target_id   BIGINT NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
  event_id    UUID NOT NULL,
  text        TEXT NOT NULL,
  tags        JSONB NOT NULL DEFAULT '[]',
  occurred_at TIMESTAMPTZ NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX annotations_target ON annotations (target_id, occurred_at);
