// A consuming node killed (kill -9) while annotations stream in: its
// partitions move to the survivors, which start from the last committed
// offsets, so they see again what the dead node had handled but not yet
// committed. Every message must still take effect exactly once.
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/annotations.hpp"
#include "tests/support/kafka_dev.hpp"
#include "tests/support/kcat.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto sql_poll = 100ms;
constexpr int per_half = 300;

long count(const std::string& dsn, const std::string& from_where) {
  return std::stol(query_value(dsn, "SELECT count(*) FROM " + from_where));
}

} // namespace

TEST_CASE("a consuming node killed mid-stream: the group rebalances and every message takes effect once",
          "[chaos]") {
  kafka_dev kafka(1);
  pg_instance pg;
  cluster_options options;
  options.extra_flags = {kafka.node_flag()};
  test_cluster cluster(pg.dsn(), options);
  for (int i = 0; i < cluster.size(); ++i) {
    REQUIRE(cluster.node(i).wait_ready_http());
    REQUIRE(wait_until([&] { return dependency_state(cluster.port(i), "kafka") == "up"; }, 30s));
  }
  std::vector<std::int64_t> targets;
  for (int t = 0; t < 12; ++t)
    targets.push_back(add_target(cluster.port(0), {{"name", "t" + std::to_string(t)},
                                                   {"kind", "http"},
                                                   {"url", "http://127.0.0.1:1/"},
                                                   {"interval_ms", 3'600'000},
                                                   {"timeout_ms", 1000}}));
  auto half = [&](int first) {
    std::vector<std::pair<std::string, std::string>> ms;
    for (int i = first; i < first + per_half; ++i)
      ms.push_back(annotation_message(targets[i % targets.size()], event_uuid(i), "note " + std::to_string(i)));
    auto r = kcat_produce(kafka.bootstrap(), "troupe.annotations", ms);
    INFO("kcat: " << r.err);
    REQUIRE(r.exit_code == 0);
  };

  half(0);
  // Killed while the first half is being handled: some of it applied, the
  // rest in flight or still in Kafka.
  REQUIRE(wait_until([&] { return count(pg.dsn(), "annotations") >= 20; }, 60s, sql_poll));
  cluster.kill(1);
  half(per_half);

  REQUIRE(wait_until([&] { return count(pg.dsn(), "annotations") >= 2 * per_half; }, 60s, sql_poll));
  // The dead node's shards moved too: the messages for them waited in the
  // region or were retried, and none was parked as undeliverable.
  CHECK(count(pg.dsn(), "annotations") == 2 * per_half);
  CHECK(count(pg.dsn(), "(SELECT event_id FROM annotations GROUP BY event_id HAVING count(*) > 1) twice") == 0);
  CHECK(count(pg.dsn(), "processed_events") == 2 * per_half);
  CHECK(count(pg.dsn(), "dead_letters") == 0);

  // The killed node comes back and joins the group again; a last message
  // proves it is consuming, and nothing before it takes effect twice.
  cluster.start(1);
  REQUIRE(cluster.node(1).wait_ready_http());
  auto last = std::vector<std::pair<std::string, std::string>>{
    annotation_message(targets[0], event_uuid(2 * per_half), "the last one")};
  REQUIRE(kcat_produce(kafka.bootstrap(), "troupe.annotations", last).exit_code == 0);
  REQUIRE(wait_until([&] { return count(pg.dsn(), "annotations") == 2 * per_half + 1; }, 60s, sql_poll));
  CHECK(count(pg.dsn(), "(SELECT event_id FROM annotations GROUP BY event_id HAVING count(*) > 1) twice") == 0);
}
