#include "http/router.hpp"

#include <catch2/catch.hpp>

#include "runtime/metrics.hpp"

using namespace troupe;

TEST_CASE("a path matches its pattern and hands over the captured segments") {
  metrics m;
  http::router r(m);
  r.add("GET", "/api/v1/targets", nullptr);
  r.add("GET", "/api/v1/targets/{id}", nullptr);
  r.add("POST", "/api/v1/targets/{id}/pause", nullptr);
  std::vector<std::string> params;
  auto hit = r.match("GET", "/api/v1/targets/42", params);
  REQUIRE(hit.status == 200);
  CHECK(hit.found->pattern == "/api/v1/targets/{id}");
  CHECK(params == std::vector<std::string>{"42"});
  CHECK(r.match("POST", "/api/v1/targets/7/pause", params).found->pattern == "/api/v1/targets/{id}/pause");
  CHECK(params == std::vector<std::string>{"7"});
  CHECK(r.match("GET", "/api/v1/targets", params).status == 200);
}

TEST_CASE("an unknown path is 404 and a known path with another method is 405") {
  metrics m;
  http::router r(m);
  r.add("GET", "/api/v1/targets/{id}", nullptr);
  std::vector<std::string> params;
  CHECK(r.match("GET", "/api/v1/targets/1/extra", params).status == 404);
  CHECK(r.match("GET", "/api/v1/targets/", params).status == 404);
  CHECK(r.match("GET", "/nope", params).status == 404);
  auto wrong = r.match("PUT", "/api/v1/targets/1", params);
  CHECK(wrong.status == 405);
  CHECK(wrong.found->pattern == "unmatched");
}
