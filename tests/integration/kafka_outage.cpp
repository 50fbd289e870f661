// Kafka away, and never configured: writes go on, their events wait in the
// outbox, and they all leave, in order per key, once Kafka is there.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/kafka_dev.hpp"
#include "tests/support/kcat.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/outbox_record.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr auto sql_poll = 100ms;

// What the test did to its targets: whether each is paused, and how many
// changes (pause or resume) it took.
struct target_changes {
  std::map<std::int64_t, bool> paused;
  std::map<std::int64_t, int> count;
};

// Pauses or resumes (whichever it is not) each of `ids` once; every answer
// must be 200.
void toggle_all(std::uint16_t port, const std::vector<std::int64_t>& ids, target_changes& changes) {
  auto& paused = changes.paused;
  for (auto id : ids) {
    auto verb = paused[id] ? "/resume" : "/pause";
    auto r = http_post(port, "/api/v1/targets/" + std::to_string(id) + verb);
    INFO("POST " << verb << " of target " << id << " answered " << r.status << " " << r.body << r.error);
    REQUIRE(r.status == 200);
    paused[id] = !paused[id];
    ++changes.count[id];
  }
}

// The types of the first copies of `key`'s events on troupe.events.targets.
std::vector<std::string> target_event_types(const std::vector<kafka_message>& messages, const std::string& key) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto& m : messages) {
    auto e = m.json();
    if (m.key == key && e.is_object() && seen.insert(e.value("id", std::string{})).second)
      out.push_back(e.value("type", std::string{}));
  }
  return out;
}

} // namespace

TEST_CASE("Kafka down: writes succeed, /ready says kafka degraded, the backlog shows and then drains, nothing lost "
          "and every key in order",
          "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  kafka_dev kafka(1);
  pg_instance pg;
  node_process node(pg.dsn(), {kafka.node_flag()});
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  record_outbox(pg.dsn());
  REQUIRE(wait_until([&] { return dependency_state(port, "kafka") == "up"; }, 30s));

  std::vector<std::int64_t> ids;
  target_changes changes;
  for (int i = 0; i < 4; ++i)
    ids.push_back(add_target(port, {{"name", "t" + std::to_string(i)}, {"url", servers.url("/metrics")},
                                    {"interval_ms", 200}}));
  toggle_all(port, ids, changes);
  auto published_before = exposed_metric(port, "troupe_outbox_events_published_total").value_or(0);

  kafka.broker_down(1);
  // Down long enough for the node to notice, and for events to pile up:
  // changes of every target, and the checks of those not paused.
  REQUIRE(wait_until([&] { return dependency_state(port, "kafka") == "degraded"; }, 30s));
  auto ready = http_get(port, "/ready");
  CHECK(ready.status == 200);
  CHECK(ready.json()["status"] == "degraded");
  CHECK(ready.json()["dependencies"]["postgres"] == "up");
  CHECK(exposed_metric(port, "troupe_kafka_up") == 0.0);
  std::size_t writes_while_down = 0;
  for (int round = 0; round < 5; ++round) {
    toggle_all(port, ids, changes);
    writes_while_down += ids.size();
  }
  // A target created while Kafka is away: 201 as ever.
  auto late = add_target(port, {{"name", "late"}, {"url", servers.url("/metrics")}, {"interval_ms", 200}});
  ids.push_back(late);
  ++writes_while_down;
  REQUIRE(wait_until(
    [&] {
      return outbox_backlog(pg.dsn()) >= static_cast<std::int64_t>(writes_while_down) &&
             exposed_metric(port, "troupe_outbox_backlog").value_or(0) >= static_cast<double>(writes_while_down);
    },
    30s, sql_poll));
  CHECK(dependency_state(port, "kafka") == "degraded");

  kafka.broker_up(1);
  // Changes right after the return race the backlog's drain: they must
  // still come after it on their keys.
  toggle_all(port, ids, changes);
  toggle_all(port, ids, changes);

  CHECK(wait_until([&] { return dependency_state(port, "kafka") == "up"; }, 30s));
  // Paused, the targets stop adding checks, and the outbox can empty.
  for (auto id : ids)
    if (!changes.paused[id])
      toggle_all(port, {id}, changes);
  bool drained = wait_until(
    [&] { return outbox_backlog(pg.dsn()) == 0 && exposed_metric(port, "troupe_outbox_backlog") == 0.0; }, 30s,
    sql_poll);
  INFO("outbox backlog: " << outbox_backlog(pg.dsn()));
  CHECK(drained);

  // With events stuck in the outbox, waiting for them on Kafka is no use.
  auto reports =
    drained ? wait_for_delivery(pg.dsn(), kafka.bootstrap()) : delivery_by_topic(pg.dsn(), kafka.bootstrap());
  CHECK(reports.size() == 2);
  for (auto& [topic, report] : reports) {
    INFO(topic << ": " << describe(report));
    CHECK(report.complete());
  }
  CHECK(exposed_metric(port, "troupe_outbox_events_published_total").value_or(0) - published_before >=
        static_cast<double>(writes_while_down));

  // Each target's changes, as the API took them, one event each and in order.
  auto messages = kcat_read_topic(kafka.bootstrap(), "troupe.events.targets");
  for (auto id : ids) {
    INFO("target " << id);
    auto types = target_event_types(messages, std::to_string(id));
    REQUIRE_FALSE(types.empty());
    CHECK(types.front() == "target.created");
    for (std::size_t i = 1; i < types.size(); ++i)
      CHECK(types[i] == (i % 2 == 1 ? "target.paused" : "target.resumed"));
    CHECK(types.size() == 1 + static_cast<std::size_t>(changes.count[id]));
  }
}

TEST_CASE("without kafka.brokers a node is ready, says kafka is not configured, and records no events",
          "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  node_process alone(pg.dsn());
  REQUIRE(alone.wait_ready_http());
  auto port = alone.port();
  record_outbox(pg.dsn());
  auto ready = http_get(port, "/ready");
  CHECK(ready.status == 200);
  CHECK(ready.json()["status"] == "ready");
  CHECK(ready.json()["dependencies"]["kafka"] == "not configured");

  auto id = add_target(port, {{"name", "quiet"}, {"url", servers.url("/metrics")}, {"interval_ms", 200}});
  auto path = "/api/v1/targets/" + std::to_string(id);
  REQUIRE(wait_until([&] { return checks_of(port, "quiet").size() >= 3; }, 30s));
  CHECK(http_post(port, path + "/pause").status == 200);
  CHECK(http_post(port, path + "/resume").status == 200);
  CHECK(http_delete(port, path).status == 204);

  // The writes happened, with no event: nothing piles up for a Kafka that
  // will never come.
  CHECK(recorded_events(pg.dsn()).empty());
  CHECK(outbox_backlog(pg.dsn()) == 0);
  CHECK(exposed_metric(port, "troupe_outbox_backlog") == 0.0);
}
