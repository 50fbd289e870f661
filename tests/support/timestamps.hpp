#pragma once

#include <cstdint>
#include <optional>
#include <string>

// Wall-clock times as the API writes them (RFC 3339, UTC, milliseconds),
// implemented here rather than borrowed from the product so that a wrong
// format in the product cannot agree with itself.
namespace troupe::testing {

std::int64_t now_ms();

// 2026-01-02T03:04:05.678Z
std::string to_rfc3339(std::int64_t epoch_ms);

// Reads exactly the form to_rfc3339 writes; throws std::invalid_argument otherwise.
std::int64_t from_rfc3339(const std::string& text);

// Microseconds since the epoch of an RFC 3339 time in UTC with a `Z` and 0
// to 9 fractional digits (2026-01-02T03:04:05.678901Z); nothing for any
// other text.
std::optional<std::int64_t> rfc3339_us(const std::string& text);

} // namespace troupe::testing
