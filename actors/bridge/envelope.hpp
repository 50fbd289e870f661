#pragma once

#include <string>

#include <caf/expected.hpp>

namespace troupe::bridge {

// The message every Troupe topic carries (docs/events.md):
// {"id": UUID, "type", "occurred_at": RFC 3339, "source", "data": {...}}.
struct envelope {
  std::string id;
  std::string type;
  std::string occurred_at;
  std::string data; // the JSON object's text
};

// A consumed payload as an envelope, or errc::invalid_argument naming what
// is wrong with it. `source` is optional: other producers may leave it out.
caf::expected<envelope> parse_envelope(const std::string& payload);

} // namespace troupe::bridge
