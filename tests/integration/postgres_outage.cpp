// PostgreSQL going away and coming back: the node degrades, keeps its
// results, and recovers by itself.
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

bool ready(std::uint16_t port) {
  return http_get(port, "/ready", {}, 2s).status == 200;
}

// 503 with Retry-After and a JSON error body.
void check_unavailable(const http_response& r) {
  INFO("answered " << r.status << " " << r.body << r.error);
  CHECK(r.status == 503);
  CHECK_FALSE(r.header("Retry-After").empty());
  auto j = r.json();
  REQUIRE(j.is_object());
  CHECK(j["code"] == 503);
  CHECK(j["error"].is_string());
  CHECK(j["message"].is_string());
}

} // namespace

TEST_CASE("a node whose PostgreSQL stops reports degraded, keeps checking, and recovers when it returns",
          "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  REQUIRE(ready(port));
  auto id = add_target(port, {{"name", "through-outage"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});
  REQUIRE(wait_until([&] { return checks_of(port, "through-outage").size() >= 2; }, 15s));

  pg.stop();
  auto down_since = now_ms();
  http_response readiness;
  REQUIRE(wait_until(
    [&] {
      readiness = http_get(port, "/ready", {}, 2s);
      return readiness.status == 503;
    },
    15s));
  CHECK_FALSE(readiness.header("Retry-After").empty());
  CHECK(readiness.json()["status"] == "degraded");
  CHECK(readiness.json()["dependencies"]["postgres"] == "down");

  check_unavailable(http_get(port, "/api/v1/targets"));
  check_unavailable(http_get(port, "/api/v1/checks?domain=through-outage"));
  check_unavailable(http_get(port, "/api/v1/metrics?name=up"));
  check_unavailable(http_post(port, "/api/v1/targets", json{{"name", "late"}, {"url", exporter.url("/late")}}.dump()));
  CHECK(http_get(port, "/health").status == 200);
  CHECK(exposed_metric(port, "troupe_pg_up") == 0.0);

  // The checker carries on without the database: wait for a few scrapes.
  auto scrapes_at_outage = exporter.requests("/metrics");
  REQUIRE(wait_until([&] { return exporter.requests("/metrics") >= scrapes_at_outage + 3; }, 15s));
  auto down_until = now_ms();
  pg.start();

  REQUIRE(wait_until([&] { return ready(port); }, 20s));
  auto readiness_after = http_get(port, "/ready");
  CHECK(readiness_after.json()["dependencies"]["postgres"] == "up");
  CHECK(http_get(port, "/api/v1/targets").status == 200);

  // Checks made while PostgreSQL was down were buffered and written later;
  // checks made since then arrive as usual.
  json during, after;
  REQUIRE(wait_until(
    [&] {
      during = json::array();
      after = json::array();
      for (auto& c : checks_of(port, "through-outage")) {
        auto ts = from_rfc3339(c["timestamp"]);
        if (ts > down_since && ts < down_until)
          during.push_back(c);
        if (ts > down_until)
          after.push_back(c);
      }
      return during.size() >= 2 && after.size() >= 2;
    },
    20s));
  for (auto& c : during) {
    INFO(c.dump());
    CHECK(c["status"] == "pass");
  }
  CHECK_FALSE(metrics_where(port, "name=up&date_from=" + to_rfc3339(down_since) + "&date_to=" +
                                    to_rfc3339(down_until))
                 .empty());
  CHECK(exposed_metric(port, "troupe_pg_up") == 1.0);

  // Nothing was lost on the way: every scrape the exporter answered has its
  // check, but for the one a pause may cut short.
  REQUIRE(http_post(port, "/api/v1/targets/" + std::to_string(id) + "/pause").status == 200);
  std::size_t scraped = 0, checked = 0;
  CHECK(wait_until(
    [&] {
      scraped = exporter.requests("/metrics");
      checked = checks_of(port, "through-outage").size();
      return checked + 1 >= scraped;
    },
    10s));
  INFO("the exporter answered " << scraped << " scrapes, the node recorded " << checked << " checks");
  CHECK(checked + 1 >= scraped);
  CHECK(checked <= scraped);
}

TEST_CASE("a node started while PostgreSQL is down serves health, reports degraded, and becomes ready when it starts",
          "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  pg.stop();
  node_process node(pg.dsn(), {"--checker.targets=from-config=" + exporter.url("/metrics")});
  REQUIRE(node.wait_ready_http());
  auto port = node.port();

  auto readiness = http_get(port, "/ready");
  CHECK(readiness.status == 503);
  CHECK_FALSE(readiness.header("Retry-After").empty());
  CHECK(readiness.json()["dependencies"]["postgres"] == "down");
  check_unavailable(http_get(port, "/api/v1/targets"));
  check_unavailable(http_post(port, "/api/v1/targets", json{{"name", "early"}, {"url", exporter.url("/x")}}.dump()));

  pg.start();
  REQUIRE(wait_until([&] { return ready(port); }, 20s));
  CHECK_THAT(node.log(), Contains("applied migration"));

  // The schema is there: the config's target was stored and is checked,
  // and new targets can be added.
  json targets;
  REQUIRE(wait_until(
    [&] {
      targets = http_get(port, "/api/v1/targets").json();
      return targets.is_array() && targets.size() == 1;
    },
    15s));
  CHECK(targets[0]["name"] == "from-config");
  REQUIRE(wait_until([&] { return checks_of(port, "from-config").size() >= 2; }, 15s));
  CHECK(checks_of(port, "from-config").back()["status"] == "pass");
  add_target(port, {{"name", "late"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});
  REQUIRE(wait_until([&] { return checks_of(port, "late").size() >= 1; }, 15s));
}
