#pragma once

#include <caf/fwd.hpp>

#include "actors/checker/services.hpp"

namespace troupe::checker {

// Every checker.retention_interval, deletes checks and samples older than
// checker.retention, checker.retention_batch rows per statement, so that
// no statement holds locks for long and the tables stop growing.
caf::actor spawn_retention(caf::actor_system& system, services s);

} // namespace troupe::checker
