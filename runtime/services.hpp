#pragma once

#include <cstdint>

#include "runtime/config.hpp"

namespace troupe {

struct metrics;
namespace persistence {
class pg_pool;
class group_commit;
} // namespace persistence

// What a domain's actors share on a node; all of it outlives them.
struct services {
  const node_config* config;
  persistence::pg_pool* pool;
  troupe::metrics* metrics;
  std::int64_t incarnation; // this process in the shard leases
  persistence::group_commit* writes; // small writes share transactions
};

} // namespace troupe
