#pragma once

#include <cstdint>

namespace troupe::testing {

// A port on 127.0.0.1 that was free a moment ago: bound to port 0, read
// back, closed. Also serves as "a port nobody listens on".
std::uint16_t free_port();

} // namespace troupe::testing
