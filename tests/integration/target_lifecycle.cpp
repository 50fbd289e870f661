// Pause, resume and delete: what the checker does after each.
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Waits until the reference target has `n` more checks than now: time
// measured in the node's own scrapes rather than in sleeps.
bool let_scrapes_pass(std::uint16_t port, const std::string& reference, std::size_t n) {
  auto start = checks_of(port, reference).size();
  return wait_until([&] { return checks_of(port, reference).size() >= start + n; }, 15s);
}

} // namespace

TEST_CASE("a paused target is not checked until it is resumed, and a deleted one is gone for good",
          "[integration]") {
  target_server servers;
  servers.reply("/subject", 200, "up 1\n");
  servers.reply("/reference", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  auto id = add_target(port, {{"name", "subject"}, {"url", servers.url("/subject")}, {"interval_ms", 200}});
  add_target(port, {{"name", "reference"}, {"url", servers.url("/reference")}, {"interval_ms", 200}});
  auto path = "/api/v1/targets/" + std::to_string(id);
  REQUIRE(wait_until([&] { return checks_of(port, "subject").size() >= 2; }, 15s));

  // Pause: a check already under way may still land, then nothing.
  auto paused = http_post(port, path + "/pause");
  REQUIRE(paused.status == 200);
  CHECK(paused.json()["paused"] == true);
  CHECK(paused.json()["id"] == id);
  CHECK(http_get(port, path).json()["paused"] == true);
  REQUIRE(let_scrapes_pass(port, "reference", 3));
  auto checks_when_paused = checks_of(port, "subject").size();
  auto requests_when_paused = servers.requests("/subject");
  REQUIRE(let_scrapes_pass(port, "reference", 5));
  CHECK(checks_of(port, "subject").size() == checks_when_paused);
  CHECK(servers.requests("/subject") == requests_when_paused);

  // Pausing twice is harmless.
  CHECK(http_post(port, path + "/pause").status == 200);

  // Resume: checks come back.
  auto resumed = http_post(port, path + "/resume");
  REQUIRE(resumed.status == 200);
  CHECK(resumed.json()["paused"] == false);
  REQUIRE(wait_until([&] { return checks_of(port, "subject").size() >= checks_when_paused + 2; }, 15s));
  CHECK(servers.requests("/subject") > requests_when_paused);
  auto latest = checks_of(port, "subject").back();
  CHECK(latest["status"] == "pass");

  // Delete: 204, then 404 everywhere, and no more checks.
  auto deleted = http_delete(port, path);
  REQUIRE(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(http_get(port, path).status == 404);
  CHECK(http_delete(port, path).status == 404);
  CHECK(http_post(port, path + "/pause").status == 404);
  CHECK(http_post(port, path + "/resume").status == 404);
  auto listed = http_get(port, "/api/v1/targets").json();
  REQUIRE(listed.is_array());
  CHECK(listed.size() == 1);
  CHECK(listed[0]["name"] == "reference");
  REQUIRE(let_scrapes_pass(port, "reference", 3));
  auto checks_when_deleted = checks_of(port, "subject").size();
  auto requests_when_deleted = servers.requests("/subject");
  REQUIRE(let_scrapes_pass(port, "reference", 5));
  CHECK(checks_of(port, "subject").size() == checks_when_deleted);
  CHECK(servers.requests("/subject") == requests_when_deleted);

  // The history of a deleted target stays queryable.
  CHECK(checks_when_deleted > checks_when_paused);
}

TEST_CASE("a target's name can be used again after it is deleted", "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  json spec = {{"name", "reborn"}, {"url", servers.url("/metrics")}, {"interval_ms", 200}};
  auto first = add_target(port, spec);
  REQUIRE(http_delete(port, "/api/v1/targets/" + std::to_string(first)).status == 204);
  auto second = add_target(port, spec);
  CHECK(second != first);
  auto got = http_get(port, "/api/v1/targets/" + std::to_string(second));
  REQUIRE(got.status == 200);
  CHECK(got.json()["name"] == "reborn");
  CHECK(got.json()["paused"] == false);
  REQUIRE(wait_until(
    [&] {
      for (auto& c : checks_of(port, "reborn"))
        if (c["target_id"] == second)
          return true;
      return false;
    },
    15s));
}

TEST_CASE("targets outlive a node restart, and a paused one stays paused", "[integration]") {
  target_server servers;
  servers.reply("/kept", 200, "up 1\n");
  servers.reply("/resting", 200, "up 1\n");
  pg_instance pg;
  std::int64_t resting = 0;
  {
    node_process first(pg.dsn());
    REQUIRE(first.wait_ready_http());
    add_target(first.port(), {{"name", "kept"}, {"url", servers.url("/kept")}, {"interval_ms", 200}});
    resting = add_target(first.port(), {{"name", "resting"}, {"url", servers.url("/resting")}, {"interval_ms", 200}});
    REQUIRE(http_post(first.port(), "/api/v1/targets/" + std::to_string(resting) + "/pause").status == 200);
    // Its exit code is another test's business.
    first.terminate(5s);
  }
  auto kept_before = servers.requests("/kept");
  auto resting_before = servers.requests("/resting");

  node_process second(pg.dsn());
  REQUIRE(second.wait_ready_http());
  REQUIRE(wait_until([&] { return servers.requests("/kept") >= kept_before + 3; }, 15s));
  CHECK(servers.requests("/resting") == resting_before);
  auto got = http_get(second.port(), "/api/v1/targets/" + std::to_string(resting));
  REQUIRE(got.status == 200);
  CHECK(got.json()["paused"] == true);
}
