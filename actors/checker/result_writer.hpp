#pragma once

#include <caf/fwd.hpp>

#include "actors/checker/services.hpp"

namespace troupe::checker {

// Collects check_results and writes them in batches (COPY, one transaction
// per batch), by size or every checker.flush_interval, with up to
// postgres.pool_size - 1 batches in flight.
// While PostgreSQL is down it keeps results, up to checker.buffer_limit
// samples, and drops the oldest beyond that.
//   check_result                -> (nothing)
//   (caf::flush_atom)           -> caf::unit once everything received so far
//                                  is written, or could not be
// Registers itself as result_writer_name.
caf::actor spawn_result_writer(caf::actor_system& system, services s);

} // namespace troupe::checker
