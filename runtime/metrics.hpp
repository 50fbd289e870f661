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
};

} // namespace troupe
