// Our events as the outside world sees them: kcat, a Kafka client nobody
// here wrote, reads troupe.checks and troupe.events.targets from kafka-dev.
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/kafka_dev.hpp"
#include "tests/support/kcat.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool is_uuid(const json& j) {
  static const std::regex form("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  return j.is_string() && std::regex_match(j.get<std::string>(), form);
}

// The envelope every event has: {"id","type","occurred_at","source","data"},
// nothing else, occurred_at within [from_ms, to_ms].
void check_envelope(const kafka_message& m, const std::string& type, std::int64_t from_ms, std::int64_t to_ms) {
  INFO(m.topic << "/" << m.partition << "@" << m.offset << ": " << m.payload);
  auto e = m.json();
  REQUIRE(e.is_object());
  std::set<std::string> fields;
  for (auto& [name, value] : e.items())
    fields.insert(name);
  CHECK(fields == std::set<std::string>{"id", "type", "occurred_at", "source", "data"});
  CHECK(is_uuid(e["id"]));
  CHECK(e["type"] == type);
  CHECK(e["source"].is_string());
  CHECK_FALSE(e.value("source", std::string{}).empty());
  CHECK(e["data"].is_object());
  auto at = e["occurred_at"].is_string() ? rfc3339_us(e["occurred_at"].get<std::string>()) : std::nullopt;
  REQUIRE(at);
  CHECK(*at / 1000 >= from_ms);
  CHECK(*at / 1000 <= to_ms);
}

// The first copy of each event, in partition order: duplicates on the wire
// are allowed, duplicates in effect are the consumer's to drop.
std::vector<kafka_message> first_copies(const std::vector<kafka_message>& messages) {
  std::set<std::string> seen;
  std::vector<kafka_message> out;
  for (auto& m : messages) {
    auto e = m.json();
    auto id = e.is_object() && e["id"].is_string() ? e["id"].get<std::string>() : m.payload;
    if (seen.insert(id).second)
      out.push_back(m);
  }
  return out;
}

std::vector<kafka_message> with_key(const std::vector<kafka_message>& messages, const std::string& key) {
  std::vector<kafka_message> out;
  for (auto& m : messages)
    if (m.key == key)
      out.push_back(m);
  return out;
}

std::set<int> partitions_of(const std::vector<kafka_message>& messages) {
  std::set<int> out;
  for (auto& m : messages)
    out.insert(m.partition);
  return out;
}

// (target id, checked_at in ms) -> the check as GET /api/v1/checks gives it.
using check_index = std::map<std::pair<std::int64_t, std::int64_t>, json>;

check_index api_checks(std::uint16_t port, const std::vector<std::string>& names) {
  check_index out;
  for (auto& name : names)
    for (auto& c : checks_of(port, name))
      out[{c["target_id"].get<std::int64_t>(), from_rfc3339(c["timestamp"].get<std::string>())}] = c;
  return out;
}

std::pair<std::int64_t, std::int64_t> check_of(const kafka_message& m) {
  auto d = m.json()["data"];
  return {d.value("target_id", std::int64_t{-1}), d.value("checked_at_ms", std::int64_t{-1})};
}

struct node_with_kafka {
  node_with_kafka() {
    REQUIRE(node.wait_ready_http());
    REQUIRE(wait_until([&] { return dependency_state(node.port(), "kafka") == "up"; }, 30s));
  }

  kafka_dev kafka;
  pg_instance pg;
  node_process node{pg.dsn(), {kafka.node_flag()}};
};

} // namespace

TEST_CASE("kcat reads every check from troupe.checks as an event keyed by the target's id that says what the API "
          "says",
          "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\nrequests_total{code=\"200\"} 7\nbroken line\n");
  servers.reply("/broken", 500, "no\n");
  auto started_ms = now_ms();
  node_with_kafka f;
  auto port = f.node.port();
  auto passing = add_target(port, {{"name", "passing"}, {"url", servers.url("/metrics")}, {"interval_ms", 200}});
  auto failing = add_target(
    port, {{"name", "failing"}, {"kind", "http"}, {"url", servers.url("/broken")}, {"interval_ms", 200}});
  REQUIRE(wait_until([&] { return checks_of(port, "passing").size() >= 3 && checks_of(port, "failing").size() >= 3; },
                     30s));
  // Paused, the targets make a finite history that both sides can agree on.
  for (auto id : {passing, failing})
    REQUIRE(http_post(port, "/api/v1/targets/" + std::to_string(id) + "/pause").status == 200);

  // Kafka first, the API second: a check is committed with its event, so
  // the API can only know more. Wait until Kafka knows every check too.
  std::vector<kafka_message> on_kafka;
  check_index in_api;
  bool caught_up = wait_until(
    [&] {
      on_kafka = first_copies(kcat_read_topic(f.kafka.bootstrap(), "troupe.checks"));
      in_api = api_checks(port, {"passing", "failing"});
      std::set<std::pair<std::int64_t, std::int64_t>> published;
      for (auto& m : on_kafka)
        published.insert(check_of(m));
      for (auto& [check, row] : in_api)
        if (!published.count(check))
          return false;
      return true;
    },
    30s, 250ms);
  INFO(on_kafka.size() << " check events on troupe.checks, " << in_api.size() << " checks in the API");
  REQUIRE(caught_up);
  CHECK(on_kafka.size() == in_api.size());
  auto done_ms = now_ms();

  const std::map<std::int64_t, std::string> names{{passing, "passing"}, {failing, "failing"}};
  for (auto& m : on_kafka) {
    check_envelope(m, "check.completed", started_ms, done_ms);
    auto data = m.json()["data"];
    INFO("event " << m.payload);
    auto row = in_api.find(check_of(m));
    REQUIRE(row != in_api.end());
    auto& c = row->second;
    INFO("API: " << c.dump());
    CHECK(m.key == std::to_string(c["target_id"].get<std::int64_t>()));
    CHECK(data["target"] == c["domain"]);
    CHECK(data["target"] == names.at(c["target_id"].get<std::int64_t>()));
    CHECK(data["status"] == c["status"]);
    CHECK(data["http_status"] == c["http_status"]);
    CHECK(data["error"] == c["error"]);
    CHECK(data["samples"] == c["samples"]);
    CHECK(data["malformed_lines"] == c["malformed_lines"]);
    REQUIRE(data["latency_ms"].is_number());
    CHECK(data["latency_ms"].get<double>() == Approx(c["latency_ms"].get<double>()));
  }

  // What each target's checks say, seen from Kafka alone.
  for (auto [id, status, http_status, samples] :
       {std::tuple{passing, "pass", 200, 2}, std::tuple{failing, "fail", 500, 0}}) {
    auto mine = with_key(on_kafka, std::to_string(id));
    INFO("target " << id);
    CHECK(mine.size() >= 3);
    CHECK(partitions_of(mine).size() == 1);
    for (auto& m : mine) {
      auto data = m.json()["data"];
      CHECK(data["status"] == status);
      CHECK(data["http_status"] == http_status);
      CHECK(data["samples"] == samples);
    }
    // A key's events keep their order: its checks in the order they were made.
    for (std::size_t i = 1; i < mine.size(); ++i)
      CHECK(check_of(mine[i - 1]).second < check_of(mine[i]).second);
  }
}

TEST_CASE("target.created, paused, resumed and deleted reach troupe.events.targets in order, keyed by the target's "
          "id",
          "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  auto started_ms = now_ms();
  node_with_kafka f;
  auto port = f.node.port();

  // Two targets whose changes interleave: each key keeps its own order.
  json specs[2] = {
    {{"name", "first"}, {"url", servers.url("/metrics")}, {"interval_ms", 1000}, {"timeout_ms", 700}},
    {{"name", "second"}, {"kind", "http"}, {"url", servers.url("/metrics")}, {"interval_ms", 2000}}};
  auto a = add_target(port, specs[0]);
  auto b = add_target(port, specs[1]);
  auto path = [](std::int64_t id) { return "/api/v1/targets/" + std::to_string(id); };
  json answers[2];
  answers[0] = http_get(port, path(a)).json();
  answers[1] = http_get(port, path(b)).json();
  REQUIRE(http_post(port, path(a) + "/pause").status == 200);
  REQUIRE(http_post(port, path(b) + "/pause").status == 200);
  REQUIRE(http_post(port, path(b) + "/resume").status == 200);
  REQUIRE(http_post(port, path(a) + "/resume").status == 200);
  REQUIRE(http_post(port, path(b) + "/pause").status == 200);
  REQUIRE(http_delete(port, path(a)).status == 204);
  REQUIRE(http_delete(port, path(b)).status == 204);

  auto messages = first_copies(kcat_consume(f.kafka.bootstrap(), "troupe.events.targets", 9));
  REQUIRE(messages.size() == 9);
  auto done_ms = now_ms();

  const std::vector<std::string> expected_types[2] = {
    {"target.created", "target.paused", "target.resumed", "target.deleted"},
    {"target.created", "target.paused", "target.resumed", "target.paused", "target.deleted"}};
  const std::vector<bool> expected_paused[2] = {{false, true, false, false}, {false, true, false, true, true}};
  std::int64_t ids[2] = {a, b};
  for (int t = 0; t < 2; ++t) {
    auto mine = with_key(messages, std::to_string(ids[t]));
    INFO("target " << ids[t] << " created as " << answers[t].dump());
    CHECK(partitions_of(mine).size() == 1);
    std::vector<std::string> types;
    std::vector<bool> paused;
    std::int64_t last_version = -1;
    for (auto& m : mine) {
      auto e = m.json();
      check_envelope(m, e.value("type", std::string{}), started_ms, done_ms);
      types.push_back(e.value("type", std::string{}));
      auto& data = e["data"];
      INFO("event " << m.payload);
      CHECK(data["id"] == ids[t]);
      for (auto* field : {"name", "kind", "url", "interval_ms", "timeout_ms"})
        CHECK(data[field] == answers[t][field]);
      paused.push_back(data.value("paused", false));
      // Every change makes a new version; a deletion tells the last one
      // (whether it should make its own is the next case's business).
      REQUIRE(data["version"].is_number_integer());
      auto version = data["version"].get<std::int64_t>();
      if (types.back() == "target.deleted")
        CHECK(version >= last_version);
      else
        CHECK(version > last_version);
      last_version = version;
    }
    CHECK(types == expected_types[t]);
    CHECK(paused == expected_paused[t]);
  }
}

// A consumer that keeps the newest version of each target (last writer wins
// by `version`) must not take a deletion for a stale copy of the change
// before it.
TEST_CASE("target.deleted carries a newer version than the change before it", "[integration]") {
  target_server servers;
  servers.reply("/metrics", 200, "up 1\n");
  node_with_kafka f;
  auto port = f.node.port();
  auto id = add_target(port, {{"name", "doomed"}, {"url", servers.url("/metrics")}, {"interval_ms", 1000}});
  auto path = "/api/v1/targets/" + std::to_string(id);
  REQUIRE(http_post(port, path + "/pause").status == 200);
  REQUIRE(http_delete(port, path).status == 204);

  auto messages = first_copies(kcat_consume(f.kafka.bootstrap(), "troupe.events.targets", 3));
  REQUIRE(messages.size() == 3);
  auto paused = messages[1].json();
  auto deleted = messages[2].json();
  REQUIRE(paused["type"] == "target.paused");
  REQUIRE(deleted["type"] == "target.deleted");
  INFO("paused: " << messages[1].payload << "\ndeleted: " << messages[2].payload);
  CHECK(deleted["data"]["version"].get<std::int64_t>() > paused["data"]["version"].get<std::int64_t>());
}
