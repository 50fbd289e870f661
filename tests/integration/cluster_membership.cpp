// Membership over CAF's middleman: nodes find each other through their
// seeds, see a killed or frozen peer go down, and see it come back.
#include <csignal>
#include <map>

#include <catch2/catch.hpp>

#include "tests/support/free_port.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;

namespace {

// name -> status, as node `port` sees the cluster.
std::map<std::string, std::string> view_of(std::uint16_t port) {
  std::map<std::string, std::string> out;
  auto r = http_get(port, "/api/v1/cluster", {}, 2s);
  if (r.status != 200)
    return out;
  auto body = r.json();
  for (auto& m : body["members"])
    out[m["name"].get<std::string>()] = m["status"].get<std::string>();
  return out;
}

struct cluster {
  explicit cluster(const std::string& dsn) : dsn_(dsn) {
    for (int i = 0; i < 3; ++i)
      cluster_ports_.push_back(free_port());
    for (auto p : cluster_ports_)
      seeds_ += (seeds_.empty() ? "" : " ") + std::string("127.0.0.1:") + std::to_string(p);
    for (int i = 0; i < 3; ++i)
      start(i);
  }
  void start(int i) {
    nodes_[i] = std::make_unique<node_process>(
      dsn_, std::vector<std::string>{"--node.name=node" + std::to_string(i + 1),
                                     "--cluster.port=" + std::to_string(cluster_ports_[i]),
                                     "--cluster.seeds=" + seeds_});
  }
  node_process& operator[](int i) { return *nodes_[i]; }

  std::string dsn_;
  std::vector<std::uint16_t> cluster_ports_;
  std::string seeds_;
  std::unique_ptr<node_process> nodes_[3];
};

bool sees(cluster& c, int observer, const std::map<std::string, std::string>& expected) {
  return view_of(c[observer].port()) == expected;
}

} // namespace

TEST_CASE("three nodes find each other, see a killed one go down, and see it rejoin after a restart",
          "[integration]") {
  pg_instance pg;
  cluster c(pg.dsn());
  std::map<std::string, std::string> all_up{{"node1", "up"}, {"node2", "up"}, {"node3", "up"}};
  for (int i = 0; i < 3; ++i)
    REQUIRE(wait_until([&] { return sees(c, i, all_up); }, 20s));

  kill(c[1].pid(), SIGKILL);
  auto node2_down = all_up;
  node2_down["node2"] = "down";
  CHECK(wait_until([&] { return sees(c, 0, node2_down) && sees(c, 2, node2_down); }, 10s));

  c.start(1);
  for (int i = 0; i < 3; ++i)
    CHECK(wait_until([&] { return sees(c, i, all_up); }, 20s));
}

TEST_CASE("a frozen node is suspected by its peers and taken back when it wakes up", "[integration]") {
  pg_instance pg;
  cluster c(pg.dsn());
  std::map<std::string, std::string> all_up{{"node1", "up"}, {"node2", "up"}, {"node3", "up"}};
  for (int i = 0; i < 3; ++i)
    REQUIRE(wait_until([&] { return sees(c, i, all_up); }, 20s));

  kill(c[2].pid(), SIGSTOP);
  auto frozen = [&](int observer) {
    auto v = view_of(c[observer].port());
    return v["node1"] == "up" && v["node2"] == "up" && v["node3"] != "up";
  };
  bool suspected = wait_until([&] { return frozen(0) && frozen(1); }, 10s);
  kill(c[2].pid(), SIGCONT);
  CHECK(suspected);
  for (int i = 0; i < 3; ++i)
    CHECK(wait_until([&] { return sees(c, i, all_up); }, 20s));
}
