#include "tests/support/settled_cluster.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/users.hpp"
#include "tests/support/wait_until.hpp"
#include "topology/placement.hpp"

namespace troupe::testing {

bool shards_at_their_final_owners(test_cluster& c) {
  std::vector<std::string> names;
  for (int i = 0; i < c.size(); ++i)
    names.push_back(test_cluster::name(i));
  for (int i = 0; i < c.size(); ++i) {
    auto view = c.cluster_view(i);
    auto statuses = member_statuses(view);
    if (static_cast<int>(statuses.size()) != c.size())
      return false;
    for (auto& [name, status] : statuses)
      if (status != "up")
        return false;
    auto owners = shard_owners(view);
    if (static_cast<int>(owners.size()) != c.shards())
      return false;
    std::vector<int> expected_own;
    for (int shard = 0; shard < c.shards(); ++shard) {
      auto owner = topology::rendezvous_owner(shard, names);
      if (owners[shard] != owner)
        return false;
      if (owner == test_cluster::name(i))
        expected_own.push_back(shard);
    }
    auto owned = owned_shards(view);
    std::sort(owned.begin(), owned.end());
    if (owned != expected_own)
      return false;
  }
  return true;
}

void wait_until_settled(test_cluster& c) {
  // Each condition asks every node (or PostgreSQL): no need to ask fifty times a second.
  constexpr std::chrono::milliseconds poll{100};
  REQUIRE(wait_until([&] { return shards_at_their_final_owners(c); }, std::chrono::seconds{30}, poll));
  REQUIRE(wait_until(
    [&] {
      for (int i = 0; i < c.size(); ++i)
        if (!identity_answers(c.port(i)))
          return false;
      return true;
    },
    std::chrono::seconds{20}, poll));
}

} // namespace troupe::testing
