// http-kind targets: only the status code decides, the body is not parsed.
#include <catch2/catch.hpp>

#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("an http target passes on a 2xx answer and fails with http_status on a 500", "[integration]") {
  target_server site;
  site.reply("/ok", 200, "<html><body>not an exposition</body></html>", "text/html");
  site.reply("/empty", 204, "");
  site.reply("/broken", 500, "internal error");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto ok_id = add_target(node.port(), {{"name", "site-ok"}, {"kind", "http"}, {"url", site.url("/ok")}, {"interval_ms", 200}});
  add_target(node.port(), {{"name", "site-empty"}, {"kind", "http"}, {"url", site.url("/empty")}, {"interval_ms", 200}});
  add_target(node.port(), {{"name", "site-broken"}, {"kind", "http"}, {"url", site.url("/broken")}, {"interval_ms", 200}});

  json ok, empty, broken;
  REQUIRE(wait_until(
    [&] {
      ok = checks_of(node.port(), "site-ok");
      empty = checks_of(node.port(), "site-empty");
      broken = checks_of(node.port(), "site-broken");
      return ok.size() >= 2 && empty.size() >= 2 && broken.size() >= 2;
    },
    15s));

  for (auto& c : ok) {
    INFO(c.dump());
    CHECK(c["status"] == "pass");
    CHECK(c["http_status"] == 200);
    CHECK(c["error"].is_null());
    CHECK(c["samples"] == 0);
    CHECK(c["malformed_lines"] == 0);
    CHECK(c["target_id"] == ok_id);
  }
  for (auto& c : empty) {
    INFO(c.dump());
    CHECK(c["status"] == "pass");
    CHECK(c["http_status"] == 204);
  }
  for (auto& c : broken) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "http_status");
    CHECK(c["http_status"] == 500);
  }
  CHECK(metrics_where(node.port(), "target=" + std::to_string(ok_id)).empty());
}

TEST_CASE("a prometheus target answering 503 fails with http_status and stores no samples", "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 503, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto id = add_target(node.port(), {{"name", "unavailable"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "unavailable");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "http_status");
    CHECK(c["http_status"] == 503);
    CHECK(c["samples"] == 0);
  }
  CHECK(metrics_where(node.port(), "target=" + std::to_string(id)).empty());
}
