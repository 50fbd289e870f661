// Retention: checks older than checker.retention are deleted in the background.
#include <catch2/catch.hpp>

#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("checks older than checker.retention are deleted while new ones keep coming", "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn(), {"--checker.retention=1s", "--checker.retention_interval=100ms"});
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  add_target(port, {{"name", "ephemeral"}, {"url", exporter.url("/metrics")}, {"interval_ms", 100}});

  json first;
  REQUIRE(wait_until(
    [&] {
      auto checks = checks_of(port, "ephemeral");
      if (checks.empty())
        return false;
      first = checks.front();
      return true;
    },
    15s));
  // The first check goes once it is older than a second; later ones remain.
  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(port, "ephemeral");
      return !checks.empty() && checks.front()["id"] != first["id"];
    },
    15s));
  auto oldest = from_rfc3339(checks.front()["timestamp"]);
  CHECK(oldest > from_rfc3339(first["timestamp"]));
  // A sweep every 100 ms keeps what is left younger than about 1 s.
  CHECK(now_ms() - oldest < 3000);
  CHECK(exposed_metric(port, "troupe_checker_retention_deleted_total{table=\"checks\"").value_or(0) >= 1);
}
