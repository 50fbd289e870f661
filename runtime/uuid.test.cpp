#include "runtime/uuid.hpp"

#include <regex>
#include <set>

#include <catch2/catch.hpp>

TEST_CASE("new uuids are version 4 in canonical form and differ") {
  static const std::regex canonical("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = troupe::new_uuid();
    CHECK(std::regex_match(id, canonical));
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}
