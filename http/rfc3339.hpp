#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace troupe::http {

// "2024-05-01T12:00:00Z", "2024-05-01T15:00:00.250+03:00" -> epoch ms.
std::optional<std::int64_t> parse_rfc3339(const std::string& s);

// epoch ms -> "2024-05-01T12:00:00.250Z"
std::string format_rfc3339(std::int64_t epoch_ms);

} // namespace troupe::http
