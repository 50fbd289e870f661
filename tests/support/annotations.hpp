#pragma once

#include <string>
#include <utility>
#include <vector>

// annotation.added messages as an outside system sends them to
// troupe.annotations (docs/events.md, "Consumed topics").
namespace troupe::testing {

// A UUID that names message `n` of a test: the same n, the same id.
std::string event_uuid(int n);

// (key, value) for kcat_produce: the target's id, and the envelope.
std::pair<std::string, std::string> annotation_message(std::int64_t target_id, const std::string& event_id,
                                                       const std::string& text);

} // namespace troupe::testing
