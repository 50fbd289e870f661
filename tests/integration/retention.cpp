// Retention: checks and samples older than checker.retention are deleted in the background.
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

TEST_CASE("checks and samples older than checker.retention are deleted while new ones keep coming",
          "[integration]") {
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
  // Without retention the first check would stay forever; with it, it goes
  // once older than a second while later ones remain.
  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(port, "ephemeral");
      return !checks.empty() && checks.front()["id"] != first["id"];
    },
    15s));
  CHECK(from_rfc3339(checks.front()["timestamp"]) > from_rfc3339(first["timestamp"]));
  CHECK(checks.size() < 60); // about 10 a second, each kept about a second
  REQUIRE(wait_until(
    [&] {
      auto samples = metrics_where(port, "name=up&limit=10000");
      return !samples.empty() && samples.size() < 60 && now_ms() - from_rfc3339(samples.front()["timestamp"]) < 3000;
    },
    15s));
  CHECK(exposed_metric(port, "troupe_checker_retention_deleted_total{table=\"checks\"").value_or(0) >= 1);
  CHECK(exposed_metric(port, "troupe_checker_retention_deleted_total{table=\"samples\"").value_or(0) >= 1);
}
