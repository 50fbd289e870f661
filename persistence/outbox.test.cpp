#include "persistence/outbox.hpp"

#include <catch2/catch.hpp>

using troupe::persistence::outbox::key_hash;

TEST_CASE("the relay's key hash is FNV-1a, the same on every node and build, never negative") {
  // FNV-1a 64 of "" and "a", the published test vectors, top bit cleared.
  CHECK(key_hash("") == static_cast<std::int64_t>(0xcbf29ce484222325ULL & 0x7fffffffffffffffULL));
  CHECK(key_hash("a") == static_cast<std::int64_t>(0xaf63dc4c8601ec8cULL & 0x7fffffffffffffffULL));
  for (auto key : {"1", "42", "target-7", "\xff\xff"})
    CHECK(key_hash(key) >= 0);
}
