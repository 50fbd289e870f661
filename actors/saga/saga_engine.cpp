#include "actors/saga/saga_engine.hpp"

#include <algorithm>
#include <cmath>

namespace troupe::saga {
namespace {

int pivot_of(const std::vector<step_shape>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].pivot)
      return static_cast<int>(i);
  return static_cast<int>(steps.size()) - 1;
}

// The last compensable step before `step`, compensating; or compensated.
position compensate_before(const std::vector<step_shape>& steps, int step) {
  for (int i = step - 1; i >= 0; --i)
    if (steps[i].compensable)
      return {saga_state::compensating, i};
  return {saga_state::compensated, step};
}

} // namespace

std::string to_string(saga_state s) {
  switch (s) {
    case saga_state::running: return "running";
    case saga_state::compensating: return "compensating";
    case saga_state::completed: return "completed";
    case saga_state::compensated: return "compensated";
  }
  return "unknown";
}

std::optional<saga_state> parse_state(const std::string& s) {
  for (auto st : {saga_state::running, saga_state::compensating, saga_state::completed, saga_state::compensated})
    if (to_string(st) == s)
      return st;
  return std::nullopt;
}

bool finished(saga_state s) {
  return s == saga_state::completed || s == saga_state::compensated;
}

position start(const std::vector<step_shape>& steps) {
  return steps.empty() ? position{saga_state::completed, 0} : position{saga_state::running, 0};
}

position advance(const std::vector<step_shape>& steps, position at, step_result r) {
  if (finished(at.state))
    return at;
  auto last = static_cast<int>(steps.size()) - 1;
  if (at.state == saga_state::compensating)
    return r == step_result::succeeded ? compensate_before(steps, at.step) : at;
  switch (r) {
    case step_result::succeeded:
      return at.step >= last ? position{saga_state::completed, at.step} : position{saga_state::running, at.step + 1};
    case step_result::failed:
      return at.step <= pivot_of(steps) ? compensate_before(steps, at.step) : at;
    case step_result::retry:
      return at;
  }
  return at;
}

milliseconds backoff(int attempt, milliseconds initial, double multiplier, milliseconds max, double unit_random) {
  auto exponent = std::max(0, attempt - 2);
  auto full = std::min(static_cast<double>(max.count()),
                       static_cast<double>(initial.count()) * std::pow(multiplier, exponent));
  return milliseconds{static_cast<std::int64_t>(full / 2 + full / 2 * std::clamp(unit_random, 0.0, 1.0))};
}

} // namespace troupe::saga
