#include "tests/support/wait_until.hpp"

#include <thread>

namespace troupe::testing {

bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_every) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(poll_every);
  }
}

} // namespace troupe::testing
