// What the node says about itself: request ids and /metrics.
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

std::vector<std::string> lines_starting_with(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0)
      out.push_back(line);
  return out;
}

} // namespace

TEST_CASE("every response carries an X-Request-Id, and a given one is echoed back", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto port = node.port();

  struct call {
    const char* method;
    const char* target;
    std::string body;
  };
  const call calls[] = {
    {"GET", "/health", {}},
    {"GET", "/ready", {}},
    {"GET", "/metrics", {}},
    {"GET", "/api/v1/targets", {}},
    {"GET", "/api/v1/targets/999999", {}},
    {"GET", "/api/v1/targets/abc", {}},
    {"POST", "/api/v1/targets", "{not json"},
    {"DELETE", "/api/v1/targets/999999", {}},
    {"GET", "/no/such/route", {}},
    {"PUT", "/health", {}},
  };
  std::set<std::string> generated;
  for (auto& c : calls) {
    INFO(c.method << " " << c.target);
    auto r = http_request(c.method, port, c.target, c.body);
    REQUIRE(r.status != 0);
    auto id = r.header("X-Request-Id");
    CHECK_FALSE(id.empty());
    generated.insert(id);

    auto echoed = http_request(c.method, port, c.target, c.body, {{"X-Request-Id", "trace-42-abc"}});
    CHECK(echoed.header("X-Request-Id") == "trace-42-abc");
  }
  // Generated ids are distinct.
  CHECK(generated.size() == std::size(calls));

  // Even a request that is not HTTP gets one.
  auto reply = raw_exchange(port, "NOT HTTP\r\n\r\n");
  CHECK_THAT(reply, Contains("X-Request-Id: "));

  // An absurdly long id is not echoed: the node makes its own.
  auto long_id = std::string(500, 'x');
  auto r = http_get(port, "/health", {{"X-Request-Id", long_id}});
  CHECK_FALSE(r.header("X-Request-Id").empty());
  CHECK(r.header("X-Request-Id") != long_id);
}

TEST_CASE("/metrics labels HTTP requests by route pattern and counts ingested samples", "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200, "a 1\nb 2\nc{x=\"y\"} 3\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto port = node.port();

  for (auto id : {"123", "456", "abc"})
    http_get(port, std::string("/api/v1/targets/") + id);
  http_post(port, "/api/v1/targets/789/pause");
  http_get(port, "/no/such/route/42");
  add_target(port, {{"name", "counted"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});
  REQUIRE(wait_until([&] { return checks_of(port, "counted").size() >= 2; }, 15s));

  REQUIRE(wait_until([&] { return exposed_metric(port, "troupe_checker_samples_ingested_total").value_or(0) >= 6; },
                     15s));
  CHECK(exposed_metric(port, "troupe_checker_checks_written_total").value_or(0) >= 2);

  auto text = http_get(port, "/metrics").body;
  auto requests = lines_starting_with(text, "troupe_http_requests_total{");
  REQUIRE_FALSE(requests.empty());
  auto count_of = [&](const std::string& route, const std::string& method, const std::string& status) {
    for (auto& line : requests)
      if (line.find("route=\"" + route + "\"") != std::string::npos &&
          line.find("method=\"" + method + "\"") != std::string::npos &&
          line.find("status=\"" + status + "\"") != std::string::npos)
        return std::stod(line.substr(line.rfind(' ') + 1));
    return -1.0;
  };
  // 123 and 456 are unknown (404), abc is refused (400): all one pattern.
  CHECK(count_of("/api/v1/targets/{id}", "GET", "4xx") == 3);
  CHECK(count_of("/api/v1/targets/{id}/pause", "POST", "4xx") == 1);
  CHECK(count_of("/api/v1/targets", "POST", "2xx") == 1);
  CHECK(count_of("/health", "GET", "2xx") >= 1);
  CHECK(count_of("/api/v1/checks", "GET", "2xx") >= 1);
  for (auto& line : requests) {
    INFO(line);
    for (auto raw : {"123", "456", "abc", "789", "/no/such"})
      CHECK(line.find(raw) == std::string::npos);
  }
  // Requests that match no route are counted under one label.
  CHECK(count_of("unmatched", "*", "4xx") >= 1);

  // The latency histogram is labelled the same way.
  auto durations = lines_starting_with(text, "troupe_http_request_duration_seconds_count{");
  REQUIRE_FALSE(durations.empty());
  for (auto& line : durations) {
    INFO(line);
    for (auto raw : {"123", "456", "abc", "789", "/no/such"})
      CHECK(line.find(raw) == std::string::npos);
  }
}
