// The HTTP edge itself: routing errors, bytes that are not HTTP, and
// connections that carry several requests.
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/json_error.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The body of a raw HTTP reply, after its headers.
std::string body_of(const std::string& reply) {
  auto end = reply.find("\r\n\r\n");
  return end == std::string::npos ? std::string{} : reply.substr(end + 4);
}

} // namespace

TEST_CASE("unknown routes answer 404 and wrong methods 405, both as JSON errors", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  check_json_error(http_get(node.port(), "/api/v1/nothing-here"), 404, "/api/v1/nothing-here");
  check_json_error(http_request("PUT", node.port(), "/api/v1/targets", "{}"), 405, "PUT");
  check_json_error(http_request("PATCH", node.port(), "/api/v1/targets/1", "{}"), 405, "PATCH");
}

TEST_CASE("bytes that are not HTTP get a 400 JSON error and the connection closed", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  const std::string malformed[] = {
    "NOT HTTP AT ALL\r\n\r\n",
    "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    "GET /health HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
    std::string("GET /he\0alth HTTP/1.1\r\nHost: x\r\n\r\n", 34),
  };
  for (auto& bytes : malformed) {
    INFO("sent: " << json(bytes).dump(-1, ' ', true, json::error_handler_t::replace));
    auto reply = raw_exchange(node.port(), bytes, 10s);
    INFO("reply: " << reply);
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
    auto j = json::parse(body_of(reply), nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["code"] == 400);
    CHECK(j["message"].is_string());
  }
  // Header blocks over the limit get their own status.
  auto big_header = "GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(32 * 1024, 'a') + "\r\n\r\n";
  auto reply = raw_exchange(node.port(), big_header, 10s);
  INFO("reply: " << reply);
  CHECK(reply.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(http_get(node.port(), "/health").status == 200);
}

TEST_CASE("a kept-alive connection answers pipelined requests in order", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto reply = raw_exchange(node.port(),
                            "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
                            "GET /api/v1/targets/abc HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n"
                            "GET /ready HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\nConnection: close\r\n\r\n",
                            10s);
  INFO(reply);
  auto first = reply.find("HTTP/1.1 200");
  auto second = reply.find("HTTP/1.1 400");
  auto third = reply.find("HTTP/1.1 200", first + 1);
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(third != std::string::npos);
  CHECK(first < second);
  CHECK(second < third);
  CHECK(reply.find("X-Request-Id: first") < reply.find("X-Request-Id: second"));
  CHECK(reply.find("X-Request-Id: second") < reply.find("X-Request-Id: third"));
}
