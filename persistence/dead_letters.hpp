#pragma once

#include <cstdint>
#include <string>

namespace pqxx {
class connection_base;
}

namespace troupe::persistence::dead_letters {

// A consumed message no handler can take (0003_outbox.sql): kept for a
// person to look at, so that its partition moves on.
struct letter {
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string payload; // as received; bytes TEXT cannot hold become U+FFFD
  std::string error;
};

void add(pqxx::connection_base& c, const letter& l);

} // namespace troupe::persistence::dead_letters
