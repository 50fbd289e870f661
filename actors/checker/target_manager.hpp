#pragma once

#include <caf/fwd.hpp>

#include "actors/checker/messages.hpp"
#include "actors/checker/services.hpp"

namespace troupe::checker {

// Takes target writes on this node (any node does) and routes each change
// to the owner of the target's shard; runs the checkers of the shards the
// shard keeper assigns (under its own "checkers" supervisor, one child per
// unpaused target). At start it adds the config's targets that are missing,
// retrying until PostgreSQL answers, and every checker.reconcile_interval it
// compares its checkers with the targets table.
target_manager_actor spawn_target_manager(caf::actor_system& system, services s);

} // namespace troupe::checker
