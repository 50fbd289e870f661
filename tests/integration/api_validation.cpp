// Bad input on every endpoint: refused with a status and a JSON error whose
// message names what was wrong, and nothing changes.
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/json_error.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/troupe_api.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string good_url = "http://127.0.0.1:9/metrics";

} // namespace

TEST_CASE("bad target definitions are refused with 400 naming the field, and create nothing", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());

  struct bad_body {
    const char* what;
    std::string body;
    const char* names;
  };
  const bad_body cases[] = {
    {"malformed JSON", R"({"name": "x", )", "body"},
    {"an empty body", "", "body"},
    {"a JSON array", R"([{"name": "x", "url": ")" + good_url + R"("}])", "body"},
    {"a JSON string", R"("x")", "body"},
    {"a number as name", R"({"name": 5, "url": ")" + good_url + R"("})", "name"},
    {"null as name", R"({"name": null, "url": ")" + good_url + R"("})", "name"},
    {"an empty name", R"({"name": "", "url": ")" + good_url + R"("})", "name"},
    {"a number as url", R"({"name": "x", "url": 5})", "url"},
    {"a number as kind", R"({"name": "x", "url": ")" + good_url + R"(", "kind": 1})", "kind"},
    {"an unknown kind", R"({"name": "x", "url": ")" + good_url + R"(", "kind": "ftp"})", "kind"},
    {"a string as interval_ms", R"({"name": "x", "url": ")" + good_url + R"(", "interval_ms": "200"})",
     "interval_ms"},
    {"a negative interval_ms", R"({"name": "x", "url": ")" + good_url + R"(", "interval_ms": -200})",
     "interval_ms"},
    {"a fractional interval_ms", R"({"name": "x", "url": ")" + good_url + R"(", "interval_ms": 200.5})",
     "interval_ms"},
    {"an interval_ms beyond 32 bits", R"({"name": "x", "url": ")" + good_url + R"(", "interval_ms": 5000000000})",
     "interval_ms"},
    {"an interval_ms below 100", R"({"name": "x", "url": ")" + good_url + R"(", "interval_ms": 50})",
     "interval_ms"},
    {"a string as timeout_ms", R"({"name": "x", "url": ")" + good_url + R"(", "timeout_ms": "1s"})", "timeout_ms"},
    {"a negative timeout_ms", R"({"name": "x", "url": ")" + good_url + R"(", "timeout_ms": -1})", "timeout_ms"},
    {"a timeout_ms above interval_ms",
     R"({"name": "x", "url": ")" + good_url + R"(", "interval_ms": 200, "timeout_ms": 500})", "timeout_ms"},
    {"an unknown field", R"({"name": "x", "url": ")" + good_url + R"(", "colour": "red"})", "colour"},
    {"a missing name", R"({"url": ")" + good_url + R"("})", "name"},
    {"a missing url", R"({"name": "x"})", "url"},
    {"an https url", R"({"name": "x", "url": "https://127.0.0.1:9/metrics"})", "url"},
    {"a url without a scheme", R"({"name": "x", "url": "127.0.0.1:9/metrics"})", "url"},
    {"a url without a host", R"({"name": "x", "url": "http:///metrics"})", "url"},
    {"a url with a bad port", R"({"name": "x", "url": "http://127.0.0.1:99999/metrics"})", "url"},
  };
  for (auto& c : cases) {
    INFO("a body with " << c.what << ": " << c.body);
    check_json_error(http_post(node.port(), "/api/v1/targets", c.body), 400, c.names);
  }

  auto listed = http_get(node.port(), "/api/v1/targets");
  REQUIRE(listed.status == 200);
  CHECK(listed.json() == json::array());
}

TEST_CASE("a second target with a taken name is refused with 409", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  json spec = {{"name", "twin"}, {"url", good_url}, {"interval_ms", 1000}};
  auto first = http_post(node.port(), "/api/v1/targets", spec.dump());
  REQUIRE(first.status == 201);
  CHECK(first.json()["name"] == "twin");
  CHECK(first.json()["kind"] == "prometheus");
  CHECK(first.json()["interval_ms"] == 1000);
  CHECK(first.json()["paused"] == false);
  CHECK(first.json()["id"].is_number_integer());

  spec["url"] = "http://127.0.0.1:10/other";
  check_json_error(http_post(node.port(), "/api/v1/targets", spec.dump()), 409, "name");
  auto listed = http_get(node.port(), "/api/v1/targets").json();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["url"] == good_url);
}

TEST_CASE("a request body over 1 MiB is refused with 413", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto huge = R"({"name": "x", "url": ")" + good_url + R"(", "padding": ")" + std::string(2 * 1024 * 1024, 'x') +
              R"("})";
  auto r = http_post(node.port(), "/api/v1/targets", huge);
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 413);
  auto j = r.json();
  CHECK(j["code"] == 413);
  CHECK(j["error"].is_string());
  CHECK(j["message"].is_string());
  // The node is none the worse for it.
  CHECK(http_get(node.port(), "/health").status == 200);
}

TEST_CASE("a target id that is not a positive integer is refused with 400, an unknown one with 404",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  struct call {
    const char* method;
    const char* suffix;
  };
  const call calls[] = {{"GET", ""}, {"DELETE", ""}, {"POST", "/pause"}, {"POST", "/resume"}};
  for (auto& c : calls) {
    for (auto id : {"abc", "0", "-1", "1.5", "1e3", "99999999999999999999"}) {
      INFO(c.method << " /api/v1/targets/" << id << c.suffix);
      check_json_error(http_request(c.method, node.port(), std::string("/api/v1/targets/") + id + c.suffix), 400, "id");
    }
    INFO(c.method << " /api/v1/targets/999999" << c.suffix);
    check_json_error(http_request(c.method, node.port(), std::string("/api/v1/targets/999999") + c.suffix), 404,
                "999999");
  }
}

TEST_CASE("bad query parameters are refused with 400 naming the parameter", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  struct bad_query {
    const char* target;
    const char* names;
  };
  const bad_query cases[] = {
    {"/api/v1/metrics?limit=0", "limit"},
    {"/api/v1/metrics?limit=abc", "limit"},
    {"/api/v1/metrics?limit=10001", "limit"},
    {"/api/v1/metrics?date_from=yesterday", "date_from"},
    {"/api/v1/metrics?date_to=2026-13-01T00:00:00Z", "date_to"},
    {"/api/v1/metrics?target=abc", "target"},
    {"/api/v1/checks?num=0", "num"},
    {"/api/v1/checks?num=abc", "num"},
    {"/api/v1/checks?target=-3", "target"},
  };
  for (auto& c : cases) {
    INFO("GET " << c.target);
    check_json_error(http_get(node.port(), c.target), 400, c.names);
  }
}
