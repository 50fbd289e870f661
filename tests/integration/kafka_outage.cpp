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

TEST_CASE("without kafka.brokers a node is ready, says kafka is not configured, and keeps every event in the outbox "
          "until a node with Kafka sends them",
          "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  std::int64_t id = 0;
  {
    node_process alone(pg.dsn());
    REQUIRE(alone.wait_ready_http());
    auto port = alone.port();
    record_outbox(pg.dsn());
    auto ready = http_get(port, "/ready");
    CHECK(ready.status == 200);
    CHECK(ready.json()["status"] == "ready");
    CHECK(ready.json()["dependencies"]["kafka"] == "not configured");

    id = add_target(port, {{"name", "kept"}, {"url", servers.url("/metrics")}, {"interval_ms", 200}});
    auto path = "/api/v1/targets/" + std::to_string(id);
    REQUIRE(wait_until([&] { return checks_of(port, "kept").size() >= 3; }, 30s));
    CHECK(http_post(port, path + "/pause").status == 200);
    CHECK(http_post(port, path + "/resume").status == 200);
    CHECK(http_post(port, path + "/pause").status == 200);

    // Everything recorded is still in the outbox: nobody sends it.
    auto record = recorded_events(pg.dsn());
    CHECK(record.size() >= 4 + 3);
    CHECK(outbox_backlog(pg.dsn()) == static_cast<std::int64_t>(record.size()));
    auto targets = query(pg.dsn(), "SELECT type FROM outbox WHERE topic = 'events.targets' AND key = " +
                                     sql_literal(std::to_string(id)) + " ORDER BY id");
    CHECK(text_of(targets) == "target.created\ntarget.paused\ntarget.resumed\ntarget.paused\n");
    CHECK(alone.terminate() == 0);
  }

  // A node with Kafka takes over the same database and sends what waited.
  kafka_dev kafka(1);
  node_process with_kafka(pg.dsn(), {kafka.node_flag()});
  REQUIRE(with_kafka.wait_ready_http());
  REQUIRE(wait_until([&] { return outbox_backlog(pg.dsn()) == 0; }, 30s, sql_poll));
  auto reports = wait_for_delivery(pg.dsn(), kafka.bootstrap());
  CHECK(reports.size() == 2);
  for (auto& [topic, report] : reports) {
    INFO(topic << ": " << describe(report));
    CHECK(report.complete());
  }
  CHECK(target_event_types(kcat_read_topic(kafka.bootstrap(), "troupe.events.targets"), std::to_string(id)) ==
        std::vector<std::string>{"target.created", "target.paused", "target.resumed", "target.paused"});
}

// troupe_outbox_backlog: "events in the outbox not yet acknowledged by Kafka
// (all nodes' shards)", and those wait in the outbox whether Kafka is away
// or not configured at all.
TEST_CASE("without kafka.brokers the outbox backlog still shows in /metrics", "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  auto id = add_target(port, {{"name", "waiting"}, {"url", servers.url("/metrics")}, {"interval_ms", 200}});
  REQUIRE(wait_until([&] { return checks_of(port, "waiting").size() >= 2; }, 30s));
  // Paused, the target adds no more events: the backlog stands still.
  REQUIRE(http_post(port, "/api/v1/targets/" + std::to_string(id) + "/pause").status == 200);
  std::int64_t in_outbox = 0;
  std::optional<double> shown;
  bool agree = wait_until(
    [&] {
      in_outbox = outbox_backlog(pg.dsn());
      shown = exposed_metric(port, "troupe_outbox_backlog");
      return in_outbox >= 3 && shown == static_cast<double>(in_outbox);
    },
    30s, sql_poll);
  INFO("the outbox holds " << in_outbox << " events; /metrics shows "
                           << (shown ? std::to_string(*shown) : std::string("no troupe_outbox_backlog")));
  CHECK(agree);
}
