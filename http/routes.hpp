#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
namespace persistence {
class group_commit;
class pg_pool;
} // namespace persistence
} // namespace troupe

namespace troupe::http {

class router;

struct edge_services {
  caf::actor_system* system;
  persistence::pg_pool* pool;
  troupe::metrics* metrics;
  const node_config* config;
  std::int64_t incarnation; // this process in the shard leases
  // Where idempotency keys are claimed and stored: many requests' keys in
  // one transaction, so that a key costs no fsync of its own.
  persistence::group_commit* writes = nullptr;
};

// The one route table of the edge: every method, path and handler.
void add_routes(router& r, edge_services s);

} // namespace troupe::http
