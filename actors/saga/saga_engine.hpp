#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/config.hpp"

// The rules of a saga, apart from any actor or database: where a saga goes
// after each step, and how long it waits before trying one again.
namespace troupe::saga {

enum class saga_state : std::uint8_t { running, compensating, completed, compensated };

std::string to_string(saga_state s);
std::optional<saga_state> parse_state(const std::string& s);
bool finished(saga_state s);

// How a step's action or compensation ended.
enum class step_result : std::uint8_t {
  succeeded,
  failed, // a business failure (a taken login, insufficient funds)
  retry,  // infrastructure: a timeout, an unreachable owner, a 5xx-class error
};

struct step_shape {
  std::string name;
  bool compensable = false;
  bool pivot = false;
};

struct position {
  saga_state state = saga_state::running;
  int step = 0; // the step whose action runs, or whose compensation runs
  bool operator==(const position& o) const { return state == o.state && step == o.step; }
};

// Where a saga starts: its first step (completed at once when it has none).
position start(const std::vector<step_shape>& steps);

// Where a saga goes after its current action (running) or compensation
// (compensating) ended with `r`; the same position means: run it again,
// after a backoff.
//   running:      succeeded -> the next step, or completed after the last;
//                 failed at or before the pivot -> compensate the completed
//                 steps in reverse (those that have a compensation), or
//                 compensated when none has; failed after the pivot -> retry
//                 forward (the saga is committed); retry -> retry.
//   compensating: succeeded -> the previous compensable step, or compensated;
//                 anything else -> retry (a compensation must happen).
// With no pivot, every step counts as before it.
position advance(const std::vector<step_shape>& steps, position at, step_result r);

// The delay before attempt `attempt` (2 for the first retry) of a step:
// initial x multiplier^(attempt - 2), capped at `max`, with "equal jitter"
// (half fixed, half random from `unit_random` in [0, 1)) so that retries
// of many sagas spread out.
milliseconds backoff(int attempt, milliseconds initial, double multiplier, milliseconds max, double unit_random);

} // namespace troupe::saga
