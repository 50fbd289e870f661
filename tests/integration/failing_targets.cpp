// Targets that do not answer properly: each failure has its own error.
#include <catch2/catch.hpp>

#include "tests/support/free_port.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("a target that hangs past its timeout gets failed checks with error timeout while others are still scraped",
          "[integration]") {
  target_server servers;
  servers.hang("/slow");
  servers.reply("/steady", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  add_target(node.port(),
             {{"name", "slow"}, {"url", servers.url("/slow")}, {"interval_ms", 300}, {"timeout_ms", 100}});
  add_target(node.port(), {{"name", "steady"}, {"url", servers.url("/steady")}, {"interval_ms", 200}});

  json slow;
  REQUIRE(wait_until(
    [&] {
      slow = checks_of(node.port(), "slow");
      return slow.size() >= 3;
    },
    15s));
  for (auto& c : slow) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "timeout");
    CHECK(c["http_status"].is_null());
    CHECK(c["latency_ms"].get<double>() >= 90);
    CHECK(c["latency_ms"].get<double>() < 1000);
  }
  // Every timed-out request still holds its connection open on our side.
  CHECK(servers.requests("/slow") >= 3);

  auto first_hang = from_rfc3339(slow.front()["timestamp"]);
  json steady_since_hang;
  REQUIRE(wait_until(
    [&] {
      steady_since_hang = json::array();
      for (auto& c : checks_of(node.port(), "steady"))
        if (from_rfc3339(c["timestamp"]) > first_hang)
          steady_since_hang.push_back(c);
      return steady_since_hang.size() >= 3;
    },
    15s));
  for (auto& c : steady_since_hang) {
    INFO(c.dump());
    CHECK(c["status"] == "pass");
    CHECK(c["latency_ms"].get<double>() < 500);
  }
}

TEST_CASE("a target on a port nobody listens on fails with error refused", "[integration]") {
  auto nobody = free_port();
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  add_target(node.port(), {{"name", "nobody-home"},
                           {"url", "http://127.0.0.1:" + std::to_string(nobody) + "/metrics"},
                           {"interval_ms", 200}});

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "nobody-home");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "refused");
    CHECK(c["http_status"].is_null());
    CHECK(c["samples"] == 0);
  }
}

TEST_CASE("a target that closes the connection without answering fails with error connection", "[integration]") {
  target_server dropper;
  dropper.close_connection("/metrics");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  add_target(node.port(), {{"name", "dropper"}, {"url", dropper.url("/metrics")}, {"interval_ms", 200}});

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "dropper");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "connection");
    CHECK(c["http_status"].is_null());
  }
  CHECK(dropper.requests("/metrics") >= 2);
}
