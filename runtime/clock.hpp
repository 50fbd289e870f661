#pragma once

#include <chrono>
#include <cstdint>

namespace troupe {

// Milliseconds since the epoch, by the system clock.
inline std::int64_t system_time_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace troupe
