#include "tests/support/annotations.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace troupe::testing {

std::string event_uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

std::pair<std::string, std::string> annotation_message(std::int64_t target_id, const std::string& event_id,
                                                       const std::string& text) {
  nlohmann::json envelope{{"id", event_id},
                          {"type", "annotation.added"},
                          {"occurred_at", "2026-11-23T08:00:00Z"},
                          {"source", "tests"},
                          {"data", {{"text", text}, {"tags", {"deploy"}}}}};
  return {std::to_string(target_id), envelope.dump()};
}

} // namespace troupe::testing
