#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/checker/exposition_parser.hpp"
#include "runtime/atoms.hpp"

// Every message of the checker domain.
namespace troupe::checker {

// What a client or the config says about a target.
struct target_spec {
  std::string name;
  std::string kind = "prometheus"; // "prometheus" | "http"
  std::string url;
  std::int32_t interval_ms = 0;
  std::int32_t timeout_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, target_spec& x) {
  return f(caf::meta::type_name("target_spec"), x.name, x.kind, x.url, x.interval_ms, x.timeout_ms);
}

// A target as stored. `version` grows with every change, so the manager can
// tell a stale update from a fresh one.
struct target {
  std::int64_t id = 0;
  target_spec spec;
  bool paused = false;
  std::int64_t version = 0;
  std::int64_t created_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, target& x) {
  return f(caf::meta::type_name("target"), x.id, x.spec, x.paused, x.version, x.created_at_ms);
}

// The shard lease a checker works under; its results are written only
// while the node still holds that lease.
struct lease {
  int shard = 0;
  std::int64_t epoch = 0;
};

// One scrape's outcome, from a checker to the result writer (node-local).
struct check_result {
  std::int64_t target_id = 0;
  int shard = 0;
  std::int64_t epoch = 0;
  std::string target_name;
  std::int64_t checked_at_ms = 0;
  bool pass = false;
  int http_status = 0; // 0 when no response arrived
  double latency_ms = 0;
  std::string error; // refused, timeout, http_status, unparsable, ... (empty on pass)
  std::vector<sample> samples;
  std::size_t malformed_lines = 0;
};

// A target changed in the database: its owner starts, restarts or stops the
// checker (`true`: deleted). Routed by the shard region, so it crosses nodes.
using apply_atom = caf::atom_constant<caf::atom("apply")>;

// The target manager: the writer of targets on this node, and the host of
// the checkers of the shards the node owns.
//   add:    -> the stored target (errc::invalid_argument names the field,
//              errc::conflict when the name is taken)
//   delete: -> true (errc::not_found)
//   pause / resume: -> the stored target (errc::not_found)
using target_manager_actor =
  caf::typed_actor<caf::replies_to<caf::add_atom, target_spec>::with<target>,
                   caf::replies_to<caf::delete_atom, std::int64_t>::with<bool>,
                   caf::replies_to<pause_atom, std::int64_t>::with<target>,
                   caf::replies_to<resume_atom, std::int64_t>::with<target>>;

} // namespace troupe::checker

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::checker::check_result)
