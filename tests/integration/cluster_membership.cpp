// Membership over CAF's middleman: nodes find each other through their
// seeds, see a killed or frozen peer go down, and see it come back.
#include <map>

#include <catch2/catch.hpp>

#include "tests/support/pg_instance.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;

namespace {

bool sees(test_cluster& c, int observer, const std::map<std::string, std::string>& expected) {
  return member_statuses(c.cluster_view(observer)) == expected;
}

} // namespace

TEST_CASE("three nodes find each other, see a killed one go down, and see it rejoin after a restart",
          "[integration]") {
  pg_instance pg;
  test_cluster c(pg.dsn());
  std::map<std::string, std::string> all_up{{"node1", "up"}, {"node2", "up"}, {"node3", "up"}};
  for (int i = 0; i < 3; ++i)
    REQUIRE(wait_until([&] { return sees(c, i, all_up); }, 20s));

  c.kill(1);
  auto node2_down = all_up;
  node2_down["node2"] = "down";
  CHECK(wait_until([&] { return sees(c, 0, node2_down) && sees(c, 2, node2_down); }, 10s));

  c.start(1);
  for (int i = 0; i < 3; ++i)
    CHECK(wait_until([&] { return sees(c, i, all_up); }, 20s));
}

TEST_CASE("a frozen node is suspected by its peers and taken back when it wakes up", "[integration]") {
  pg_instance pg;
  test_cluster c(pg.dsn());
  std::map<std::string, std::string> all_up{{"node1", "up"}, {"node2", "up"}, {"node3", "up"}};
  for (int i = 0; i < 3; ++i)
    REQUIRE(wait_until([&] { return sees(c, i, all_up); }, 20s));

  c.pause(2);
  auto frozen = [&](int observer) {
    auto v = member_statuses(c.cluster_view(observer));
    return v["node1"] == "up" && v["node2"] == "up" && v["node3"] != "up";
  };
  bool suspected = wait_until([&] { return frozen(0) && frozen(1); }, 10s);
  c.resume(2);
  CHECK(suspected);
  for (int i = 0; i < 3; ++i)
    CHECK(wait_until([&] { return sees(c, i, all_up); }, 20s));
}
