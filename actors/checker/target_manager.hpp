#pragma once

#include <caf/fwd.hpp>

#include "actors/checker/messages.hpp"
#include "actors/checker/services.hpp"

namespace troupe::checker {

// The one writer of targets on this node, and the owner of their checkers
// (under its own "checkers" supervisor, one child per unpaused target). At
// start, and again after a restart, it adds the config's targets that are
// missing and starts a checker for every unpaused target, retrying until
// PostgreSQL answers.
target_manager_actor spawn_target_manager(caf::actor_system& system, services s);

} // namespace troupe::checker
