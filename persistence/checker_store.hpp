#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/checker/messages.hpp"

namespace pqxx {
class connection_base;
}

// SQL of the checker domain. Every function runs on a pg_pool worker.
// Writes add their events to the outbox (docs/events.md) when `publish`:
// a node without Kafka records none.
namespace troupe::persistence::checker_store {

// Inserts the config's targets that are missing (by name), then lists all.
std::vector<checker::target> sync_and_list(pqxx::connection_base& c, const std::vector<checker::target_spec>& from_config,
                                           bool publish);
std::vector<checker::target> list_targets(pqxx::connection_base& c);
caf::expected<checker::target> get_target(pqxx::connection_base& c, std::int64_t id);
caf::expected<checker::target> insert_target(pqxx::connection_base& c, const checker::target_spec& spec, bool publish);
caf::expected<checker::target> set_paused(pqxx::connection_base& c, std::int64_t id, bool paused, bool publish);
bool delete_target(pqxx::connection_base& c, std::int64_t id, bool publish);

// One transaction, fenced by the shard leases: the checks whose (shard,
// epoch) lease `incarnation` still holds, then their samples, each by COPY.
// Checks refused because their lease had moved are left out of `written`.
struct written {
  std::size_t checks = 0;
  std::size_t samples = 0;
};
written write_results(pqxx::connection_base& c, const std::vector<checker::check_result>& results,
                      const std::string& owner, std::int64_t incarnation, bool publish);

// A note on a target from outside (the annotations subscription).
struct annotation {
  std::int64_t target_id = 0;
  std::string event_id;
  std::string text;
  std::string tags_json; // a JSON array of strings
  std::string occurred_at; // RFC 3339
};

// Adds `a` unless `subscription` has seen its event (false), fenced by the
// lease of `shard`: errc::unavailable when `incarnation` no longer holds it,
// errc::not_found without the target, errc::invalid_argument for a bad time.
caf::expected<bool> add_annotation(pqxx::connection_base& c, const annotation& a, const std::string& subscription,
                                   int shard, std::int64_t incarnation);

struct annotation_row {
  std::int64_t id;
  std::string event_id;
  std::string text;
  std::string tags_json;
  std::int64_t occurred_at_ms;
  std::int64_t created_at_ms;
};
// The latest `limit` annotations of a target, oldest first.
std::vector<annotation_row> list_annotations(pqxx::connection_base& c, std::int64_t target_id, int limit);

struct metric_query {
  std::string name;
  std::optional<std::int64_t> from_ms, to_ms, target_id;
  int limit = 1000;
};
struct metric_row {
  std::int64_t id;
  std::int64_t ts_ms;
  std::string name;
  double value;
  std::string labels_json;
  std::int64_t target_id;
};
// The latest `limit` samples that match, oldest first.
std::vector<metric_row> query_metrics(pqxx::connection_base& c, const metric_query& q);

struct check_query {
  std::optional<std::string> domain; // target name
  std::optional<std::int64_t> target_id;
  int num = 7;
};
struct check_row {
  std::int64_t id;
  std::int64_t checked_at_ms;
  std::int64_t target_id;
  std::string target_name;
  bool pass;
  int http_status;
  double latency_ms;
  std::string error;
  int samples;
  int malformed_lines;
};
// The last `num` checks that match, oldest first.
std::vector<check_row> query_checks(pqxx::connection_base& c, const check_query& q);

// Deletes up to `batch` rows older than `max_age_ms` from "checks" or
// "samples"; returns how many it deleted.
int delete_expired(pqxx::connection_base& c, const std::string& table, std::int64_t max_age_ms, int batch);

} // namespace troupe::persistence::checker_store
