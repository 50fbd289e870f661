#pragma once

#include <caf/fwd.hpp>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
namespace persistence {
class pg_pool;
}
} // namespace troupe

namespace troupe::http {

// Every http.idempotency_purge_interval, deletes the idempotency keys past
// their expiry, http.idempotency_purge_batch rows per statement and again
// while a batch comes back full, so that the table stops growing and no
// statement holds locks for long. All of its arguments outlive it.
caf::actor spawn_idempotency_purge(caf::actor_system& system, persistence::pg_pool& pool, metrics& m,
                                   const node_config& cfg);

} // namespace troupe::http
