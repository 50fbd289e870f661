#include "actors/checker/target_spec.hpp"

#include <catch2/catch.hpp>

#include "runtime/errors.hpp"

using namespace troupe;
using namespace troupe::checker;

TEST_CASE("http URLs split into host, port and target") {
  auto u = parse_http_url("http://127.0.0.1:9100/metrics?x=1");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "9100");
  CHECK(u->target == "/metrics?x=1");
  auto plain = parse_http_url("http://example.test");
  REQUIRE(plain);
  CHECK(plain->port == "80");
  CHECK(plain->target == "/");
  CHECK(parse_http_url("http://[::1]:8080/m")->host == "::1");
}

TEST_CASE("bad URLs are refused naming the url field") {
  for (auto url : {"https://x/", "ftp://x", "http://", "http://x:0/", "http://x:99999/", "http://u:p@x/", "x"}) {
    auto u = parse_http_url(url);
    REQUIRE_FALSE(u);
    CHECK(is(u.error(), errc::invalid_argument));
    CHECK_THAT(error_message(u.error()), Catch::StartsWith("url:"));
  }
}

TEST_CASE("a target spec is validated field by field") {
  target_spec ok{"t", "prometheus", "http://127.0.0.1:1/metrics", 1000, 500};
  CHECK_FALSE(validate(ok));
  auto field_of = [](target_spec s) { return error_message(validate(s)).substr(0, error_message(validate(s)).find(':')); };
  auto s = ok;
  s.name = "";
  CHECK(field_of(s) == "name");
  s = ok;
  s.kind = "ftp";
  CHECK(field_of(s) == "kind");
  s = ok;
  s.interval_ms = 50;
  CHECK(field_of(s) == "interval_ms");
  s = ok;
  s.timeout_ms = 2000;
  CHECK(field_of(s) == "timeout_ms");
}

TEST_CASE("config target entries take defaults and options") {
  node_config cfg;
  auto t = parse_target_entry("node=http://127.0.0.1:9100/metrics,kind=http,interval_ms=2000,timeout_ms=100", cfg);
  REQUIRE(t);
  CHECK(t->name == "node");
  CHECK(t->kind == "http");
  CHECK(t->interval_ms == 2000);
  CHECK(t->timeout_ms == 100);
  auto d = parse_target_entry("n=http://x/", cfg);
  REQUIRE(d);
  CHECK(d->interval_ms == cfg.checker.default_interval.count());
  CHECK_FALSE(parse_target_entry("no-equals-sign", cfg));
  CHECK_FALSE(parse_target_entry("n=http://x/,colour=red", cfg));
  CHECK_FALSE(parse_target_entry("n=http://x/,interval_ms=soon", cfg));
}
