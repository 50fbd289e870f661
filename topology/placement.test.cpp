#include "topology/placement.hpp"

#include <map>

#include <catch2/catch.hpp>

using namespace troupe::topology;

namespace {

std::map<std::string, int> shares(const std::vector<std::string>& members, int shards) {
  std::map<std::string, int> out;
  for (int s = 0; s < shards; ++s)
    ++out[rendezvous_owner(s, members)];
  return out;
}

} // namespace

TEST_CASE("shard_of spreads consecutive keys over every shard", "[placement]") {
  std::vector<int> count(64);
  for (std::uint64_t id = 1; id <= 6400; ++id) {
    auto s = shard_of(id, 64);
    REQUIRE(s >= 0);
    REQUIRE(s < 64);
    ++count[s];
  }
  for (int c : count) {
    CHECK(c > 50);
    CHECK(c < 150);
  }
  CHECK(shard_of(42, 64) == shard_of(42, 64));
}

TEST_CASE("an id group.rest lives in the shard of group", "[placement]") {
  std::string account = "3f2b8c1e-0d4a-4e6b-9c77-5a1d2e3f4a5b";
  CHECK(key_of(account + ".order-1") == key_of(account));
  CHECK(key_of(account + ".order-2.x") == key_of(account));
  CHECK(key_of("other.order-1") != key_of(account));
  CHECK(key_of(account) != key_of(account + "x"));
}

TEST_CASE("rendezvous gives each member a fair share", "[placement]") {
  auto s = shares({"node1", "node2", "node3"}, 64);
  REQUIRE(s.size() == 3);
  for (auto& [name, n] : s) {
    INFO(name << " owns " << n);
    CHECK(n >= 12);
    CHECK(n <= 32);
  }
  CHECK(rendezvous_owner(5, {}).empty());
  CHECK(rendezvous_owner(5, {"solo"}) == "solo");
}

TEST_CASE("rendezvous ignores the order of members and moves only a leaver's shards", "[placement]") {
  std::vector<std::string> all{"node1", "node2", "node3"};
  std::vector<std::string> reordered{"node3", "node1", "node2"};
  std::vector<std::string> without2{"node1", "node3"};
  int moved = 0;
  for (int s = 0; s < 64; ++s) {
    auto before = rendezvous_owner(s, all);
    CHECK(rendezvous_owner(s, reordered) == before);
    auto after = rendezvous_owner(s, without2);
    if (before != "node2")
      CHECK(after == before);
    else
      ++moved;
    CHECK(after != "node2");
  }
  CHECK(moved > 0);
}
