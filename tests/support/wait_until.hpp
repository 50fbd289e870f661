#pragma once

#include <chrono>
#include <functional>

namespace troupe::testing {

// Evaluates `predicate` until it holds or `timeout` has passed; returns
// whether it held. Tests wait on conditions like this, never on a bare sleep.
bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_every = std::chrono::milliseconds{20});

} // namespace troupe::testing
