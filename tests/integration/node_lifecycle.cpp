// Starting from config, refusing bad config, and stopping on SIGTERM.
#include <optional>

#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

TEST_CASE("a node exits 0 on SIGTERM after flushing its results", "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  add_target(node.port(), {{"name", "busy"}, {"url", exporter.url("/metrics")}, {"interval_ms", 100}});
  REQUIRE(wait_until([&] { return checks_of(node.port(), "busy").size() >= 2; }, 15s));

  auto started = std::chrono::steady_clock::now();
  CHECK(node.terminate(15s) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK_THAT(node.log(), Contains("results flushed"));
  CHECK_THAT(node.log(), Contains("stopped"));
}

TEST_CASE("a node exits 0 on SIGTERM while PostgreSQL is down and a scrape hangs", "[integration]") {
  target_server servers;
  servers.hang("/stuck");
  pg_instance pg;
  node_process node(pg.dsn(), {"--node.shutdown_timeout=2s"});
  REQUIRE(node.wait_ready_http());
  add_target(node.port(), {{"name", "stuck"}, {"url", servers.url("/stuck")}, {"interval_ms", 1000},
                           {"timeout_ms", 1000}});
  REQUIRE(wait_until([&] { return servers.requests("/stuck") >= 1; }, 15s));
  pg.stop();
  REQUIRE(wait_until([&] { return http_get(node.port(), "/ready", {}, 2s).status == 503; }, 15s));

  auto started = std::chrono::steady_clock::now();
  CHECK(node.terminate(15s) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("a target from the config file is checked without any API call", "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  temp_dir dir;
  auto config = dir.write_file("troupe.toml", "# a node for the tests\n"
                                              "[checker]\n"
                                              "targets = [\"cfg1=" + exporter.url("/metrics") + "\"]\n");
  node_process node(pg.dsn(), {"--config=" + config});
  REQUIRE(node.wait_ready_http());

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "cfg1");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "pass");
  }
  auto targets = http_get(node.port(), "/api/v1/targets").json();
  REQUIRE(targets.size() == 1);
  CHECK(targets[0]["name"] == "cfg1");
  CHECK(targets[0]["url"] == exporter.url("/metrics"));
  CHECK(targets[0]["interval_ms"] == 200);
}

namespace {

// Runs troupe with exactly `args`, expects it to exit non-zero (with
// `expected_code` when given), and returns what it logged.
std::string refusal_of(std::vector<std::string> args, std::optional<int> expected_code = std::nullopt) {
  node_process node(exact_args{std::move(args)});
  auto code = node.wait_for_exit(15s);
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  if (expected_code)
    CHECK(*code == *expected_code);
  return node.log();
}

} // namespace

TEST_CASE("a node refuses to start on an unknown flag or config key and names the key", "[integration]") {
  temp_dir dir;
  SECTION("an unknown flag") {
    CHECK_THAT(refusal_of({"node", "--http.prot=1"}), Contains("http.prot"));
  }
  SECTION("an unknown key in the config file") {
    auto config = dir.write_file("bad.toml", "[http]\nport = 8080\nprot = 1\n");
    auto log = refusal_of({"node", "--config=" + config});
    CHECK_THAT(log, Contains("http.prot"));
    CHECK_THAT(log, Contains("bad.toml:3"));
  }
  SECTION("a bad value names its key") {
    CHECK_THAT(refusal_of({"node", "--http.port=99999"}), Contains("http.port"));
  }
  SECTION("a bad target in the config names checker.targets") {
    auto config = dir.write_file("bad.toml", "[checker]\ntargets = [\"x=https://127.0.0.1:9/metrics\"]\n");
    CHECK_THAT(refusal_of({"node", "--config=" + config}), Contains("checker.targets"));
  }
}

TEST_CASE("a node refuses cluster settings that cannot work, with exit code 2 and the keys named",
          "[integration]") {
  // Config refusals exit 2 (runtime/main.cpp), unlike flags CLI11 cannot parse.
  constexpr int config_refused = 2;
  SECTION("leases renewed less often than every half lease time") {
    auto log = refusal_of({"node", "--cluster.lease_time=1s", "--cluster.lease_renew_interval=600ms"}, config_refused);
    CHECK_THAT(log, Contains("cluster.lease_renew_interval"));
    CHECK_THAT(log, Contains("cluster.lease_time"));
  }
  SECTION("seeds separated by a comma") {
    auto log = refusal_of({"node", "--cluster.seeds=127.0.0.1:1,127.0.0.1:2"}, config_refused);
    CHECK_THAT(log, Contains("cluster.seeds"));
    CHECK_THAT(log, Contains("127.0.0.1:1,127.0.0.1:2"));
  }
}
