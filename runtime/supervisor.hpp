#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "runtime/config.hpp"

namespace troupe {

struct metrics;

// How many restarts a child has left, and how long to wait before the next.
// Pure logic: the caller passes the time, so tests need no clock.
class restart_budget {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit restart_budget(restart_policy policy) : policy_(policy) {}

  // Records a crash at `now`: the delay before restarting, or nothing when
  // the budget for the window is spent and the supervisor must escalate.
  std::optional<milliseconds> on_failure(time_point now);

private:
  restart_policy policy_;
  std::deque<time_point> failures_;
};

// A child of a supervisor: a name unique under it, and how to spawn it.
// Restarts call `spawn` again, so the child reloads its state itself.
struct child_spec {
  std::string name;
  std::function<caf::actor(caf::actor_system&)> spawn;
};

// One-for-one supervisor. Messages:
//   (start_atom, child_spec)       starts (or replaces) a child
//   (stop_atom, std::string name)  stops it for good
//   (caf::get_atom, std::string)   -> caf::actor, the child's current handle
// A child that exits with an error is restarted after its backoff; a child
// that exits normally is forgotten. When a child spends its restart budget
// the supervisor stops all children and exits with
// errc::restart_budget_exhausted, for its own parent to handle. Spawn it
// linked to its owner so that it never outlives it.
caf::actor spawn_supervisor(caf::actor_system& system, std::string name, restart_policy policy,
                            metrics* m = nullptr);

} // namespace troupe

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::child_spec)
