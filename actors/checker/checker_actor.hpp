#pragma once

#include <caf/fwd.hpp>

#include "actors/checker/messages.hpp"
#include "actors/checker/services.hpp"

namespace troupe::checker {

// One per target: scrapes it every interval (with a little jitter), never
// two scrapes at once, and hands each check_result to the result writer.
// Every failure of the target is a failed check, never a crash.
caf::actor spawn_checker(caf::actor_system& system, target t, services s);

} // namespace troupe::checker
