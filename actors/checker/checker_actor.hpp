#pragma once

#include <caf/fwd.hpp>

#include "actors/checker/messages.hpp"
#include "actors/checker/services.hpp"

namespace troupe::checker {

// One per target, on the node that holds the target's shard: scrapes it
// every interval (with a little jitter; the first one `at_once` or within
// the first interval), never two scrapes at once, and hands each
// check_result, stamped with `held`, to the result writer. Every failure of
// the target is a failed check, never a crash.
caf::actor spawn_checker(caf::actor_system& system, target t, lease held, bool at_once, services s);

} // namespace troupe::checker
