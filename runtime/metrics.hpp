#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace troupe {

// Every metric of a node is defined here, in one place; /metrics serves
// `serialize()`. HTTP metrics are labelled by route pattern, never raw path.
struct metrics {
  metrics();
  std::string serialize() const;

  std::shared_ptr<prometheus::Registry> registry;

  prometheus::Family<prometheus::Counter>& http_requests;    // route, method, status ("2xx"...)
  prometheus::Family<prometheus::Histogram>& http_duration; // route

  prometheus::Histogram& pg_pool_wait;
  prometheus::Gauge& pg_up;
  prometheus::Gauge& pg_queue_depth;

  prometheus::Family<prometheus::Counter>& actor_restarts; // supervisor
  prometheus::Family<prometheus::Counter>& actor_escalations; // supervisor

  prometheus::Histogram& scrape_duration;
  prometheus::Family<prometheus::Counter>& scrape_failures; // reason
  prometheus::Counter& scrapes_skipped;  // a tick found the previous scrape still running
  prometheus::Counter& samples_ingested; // committed to PostgreSQL
  prometheus::Counter& malformed_lines;
  prometheus::Counter& checks_written;
  prometheus::Counter& samples_dropped;  // over buffer_limit (PostgreSQL down or slow), or refused by it
  prometheus::Gauge& checkers_running;
  prometheus::Family<prometheus::Counter>& retention_deleted; // table
  prometheus::Counter& checks_fenced; // refused: made under a lease the node no longer holds

  prometheus::Gauge& cluster_members_up; // this node included
  prometheus::Gauge& shards_owned;
  prometheus::Counter& shard_takeovers;  // leases taken (each with a new epoch)
  prometheus::Counter& lease_failures;   // lease ticks that did not reach PostgreSQL
  prometheus::Counter& region_undelivered; // routed messages refused for want of an owner

  prometheus::Gauge& kafka_up;           // the last metadata probe reached a broker; /ready reads it
  prometheus::Gauge& outbox_backlog;     // events in the outbox, on every node
  prometheus::Counter& events_published; // acknowledged by Kafka and removed from the outbox
  prometheus::Counter& outbox_dead_letters; // refused by Kafka for good
  prometheus::Family<prometheus::Counter>& events_consumed; // subscription, outcome

  prometheus::Family<prometheus::Counter>& ledger_operations; // kind, outcome (applied, refused, replayed)
  prometheus::Histogram& ledger_batch_size;                  // operations per group commit
  prometheus::Gauge& accounts_active;                        // account actors alive on this node

  prometheus::Family<prometheus::Counter>& sagas_finished;    // type, state (completed, compensated)
  prometheus::Family<prometheus::Counter>& saga_step_retries; // type, step

  prometheus::Family<prometheus::Counter>& idempotency_requests; // outcome: first, replayed, in_progress, reused
  prometheus::Counter& idempotency_purged; // expired keys deleted
};

} // namespace troupe
