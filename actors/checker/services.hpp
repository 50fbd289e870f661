#pragma once

#include <caf/atom.hpp>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
namespace persistence {
class pg_pool;
}
} // namespace troupe

namespace troupe::checker {

class scrape_client;

// What the checker actors share on a node; all of it outlives them.
struct services {
  const node_config* config;
  persistence::pg_pool* pool;
  scrape_client* client;
  troupe::metrics* metrics;
  std::int64_t incarnation; // this process in the shard leases

  bool publishes_events() const { return !config->kafka.brokers.empty(); }
};

// The result writer registers itself under this name, so that a checker
// finds the current one even after a restart.
constexpr caf::atom_value result_writer_name = caf::atom("chkwriter");

// The same for the target manager, which the HTTP edge asks.
constexpr caf::atom_value target_manager_name = caf::atom("targets");

} // namespace troupe::checker
