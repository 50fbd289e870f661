#include "runtime/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace troupe {
namespace {

using namespace prometheus;

const Histogram::BucketBoundaries batch_buckets{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

const Histogram::BucketBoundaries latency_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};

} // namespace

metrics::metrics()
  : registry(std::make_shared<Registry>()),
    http_requests(BuildCounter().Name("troupe_http_requests_total").Help("HTTP requests by route pattern, method and status class").Register(*registry)),
    http_duration(BuildHistogram().Name("troupe_http_request_duration_seconds").Help("HTTP request latency by route pattern").Register(*registry)),
    pg_pool_wait(BuildHistogram().Name("troupe_pg_pool_wait_seconds").Help("time a query waited for a PostgreSQL worker").Register(*registry).Add({}, latency_buckets)),
    pg_up(BuildGauge().Name("troupe_pg_up").Help("1 when PostgreSQL answers").Register(*registry).Add({})),
    pg_queue_depth(BuildGauge().Name("troupe_pg_queue_depth").Help("queries waiting for a PostgreSQL worker").Register(*registry).Add({})),
    actor_restarts(BuildCounter().Name("troupe_actor_restarts_total").Help("children restarted by a supervisor").Register(*registry)),
    actor_escalations(BuildCounter().Name("troupe_actor_escalations_total").Help("supervisors that ran out of restart budget").Register(*registry)),
    scrape_duration(BuildHistogram().Name("troupe_checker_scrape_duration_seconds").Help("duration of a scrape, from connect to parsed body").Register(*registry).Add({}, latency_buckets)),
    scrape_failures(BuildCounter().Name("troupe_checker_scrape_failures_total").Help("failed checks by reason").Register(*registry)),
    scrapes_skipped(BuildCounter().Name("troupe_checker_scrapes_skipped_total").Help("ticks skipped because the previous scrape of the target was still running").Register(*registry).Add({})),
    samples_ingested(BuildCounter().Name("troupe_checker_samples_ingested_total").Help("samples committed to PostgreSQL").Register(*registry).Add({})),
    malformed_lines(BuildCounter().Name("troupe_checker_malformed_lines_total").Help("exposition lines skipped as malformed").Register(*registry).Add({})),
    checks_written(BuildCounter().Name("troupe_checker_checks_written_total").Help("checks committed to PostgreSQL").Register(*registry).Add({})),
    samples_dropped(BuildCounter().Name("troupe_checker_samples_dropped_total").Help("samples dropped: the write buffer was full, or PostgreSQL refused the batch").Register(*registry).Add({})),
    checkers_running(BuildGauge().Name("troupe_checkers_running").Help("checker actors alive on this node").Register(*registry).Add({})),
    retention_deleted(BuildCounter().Name("troupe_checker_retention_deleted_total").Help("rows deleted by retention, by table").Register(*registry)),
    checks_fenced(BuildCounter().Name("troupe_checker_checks_fenced_total").Help("checks refused by the database because their shard lease had moved").Register(*registry).Add({})),
    cluster_members_up(BuildGauge().Name("troupe_cluster_members_up").Help("members this node sees up, itself included").Register(*registry).Add({})),
    shards_owned(BuildGauge().Name("troupe_shards_owned").Help("shard leases this node holds").Register(*registry).Add({})),
    shard_takeovers(BuildCounter().Name("troupe_shard_takeovers_total").Help("shard leases taken by this node, each with a new epoch").Register(*registry).Add({})),
    lease_failures(BuildCounter().Name("troupe_lease_failures_total").Help("lease ticks that failed (PostgreSQL unreachable)").Register(*registry).Add({})),
    region_undelivered(BuildCounter().Name("troupe_region_undelivered_total").Help("routed messages refused: their shard found no owner in time, or the buffer was full").Register(*registry).Add({})),
    kafka_up(BuildGauge().Name("troupe_kafka_up").Help("1 when the last metadata request reached a Kafka broker").Register(*registry).Add({})),
    outbox_backlog(BuildGauge().Name("troupe_outbox_backlog").Help("events in the outbox not yet acknowledged by Kafka (all nodes' shards)").Register(*registry).Add({})),
    events_published(BuildCounter().Name("troupe_outbox_events_published_total").Help("events acknowledged by Kafka and removed from the outbox by this node").Register(*registry).Add({})),
    outbox_dead_letters(BuildCounter().Name("troupe_outbox_dead_letters_total").Help("events Kafka refused for good, moved to dead_letters").Register(*registry).Add({})),
    events_consumed(BuildCounter().Name("troupe_events_consumed_total").Help("consumed Kafka messages by subscription and outcome: applied, duplicate (seen before, nothing changed), dead_letter, retried").Register(*registry)),
    ledger_operations(BuildCounter().Name("troupe_ledger_operations_total").Help("account operations answered, by kind and outcome: applied, refused (insufficient funds), replayed (a repeated operation id)").Register(*registry)),
    ledger_batch_size(BuildHistogram().Name("troupe_ledger_batch_size").Help("ledger operations committed per transaction (group commit)").Register(*registry).Add({}, batch_buckets)),
    accounts_active(BuildGauge().Name("troupe_accounts_active").Help("account actors alive on this node").Register(*registry).Add({})),
    sagas_finished(BuildCounter().Name("troupe_sagas_finished_total").Help("sagas that reached a final state on this node, by type and state (completed, compensated)").Register(*registry)),
    saga_step_retries(BuildCounter().Name("troupe_saga_step_retries_total").Help("saga steps tried again after an infrastructure failure (or, after the pivot, any failure), by type and step").Register(*registry)),
    idempotency_requests(BuildCounter().Name("troupe_idempotency_requests_total").Help("requests with an idempotency key by outcome: first (ran), replayed, in_progress (409), reused (422)").Register(*registry)),
    idempotency_purged(BuildCounter().Name("troupe_idempotency_keys_purged_total").Help("expired idempotency keys deleted").Register(*registry).Add({})) {}

std::string metrics::serialize() const {
  return TextSerializer().Serialize(registry->Collect());
}

} // namespace troupe
