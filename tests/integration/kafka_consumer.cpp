// The annotations subscription: an outside producer (kcat) feeds
// troupe.annotations, and each message takes effect once in the annotator
// on the target's owner, however often it comes; what no handler can take
// is parked in dead_letters and its partition moves on.
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/annotations.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/kafka_dev.hpp"
#include "tests/support/kcat.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

constexpr auto sql_poll = 100ms;

using messages = std::vector<std::pair<std::string, std::string>>;

// A target nobody scrapes in the test's time: it exists to be annotated.
std::int64_t quiet_target(std::uint16_t port, const std::string& name) {
  return add_target(port, {{"name", name},
                           {"kind", "http"},
                           {"url", "http://127.0.0.1:1/"},
                           {"interval_ms", 3'600'000},
                           {"timeout_ms", 1000}});
}

long count(const std::string& dsn, const std::string& from_where) {
  return std::stol(query_value(dsn, "SELECT count(*) FROM " + from_where));
}

void produce(const kafka_dev& kafka, const messages& ms) {
  auto r = kcat_produce(kafka.bootstrap(), "troupe.annotations", ms);
  INFO("kcat: " << r.err);
  REQUIRE(r.exit_code == 0);
}

std::string consumed(std::uint16_t port, const std::string& outcome) {
  auto v = exposed_metric(port, "troupe_events_consumed_total{outcome=\"" + outcome + "\"");
  return v ? std::to_string(static_cast<long>(*v)) : "none";
}

} // namespace

TEST_CASE("annotations from an outside producer take effect once each, and repeats change nothing",
          "[integration]") {
  kafka_dev kafka(1);
  pg_instance pg;
  node_process node(pg.dsn(), {kafka.node_flag()});
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  REQUIRE(wait_until([&] { return dependency_state(port, "kafka") == "up"; }, 30s));
  std::int64_t targets[] = {quiet_target(port, "a"), quiet_target(port, "b")};

  messages ms;
  for (int i = 0; i < 40; ++i)
    ms.push_back(annotation_message(targets[i % 2], event_uuid(i), "note " + std::to_string(i)));
  // Every fifth again, as a producer that retried would send it.
  for (int i = 0; i < 40; i += 5)
    ms.push_back(ms[i]);
  produce(kafka, ms);

  REQUIRE(wait_until([&] { return consumed(port, "duplicate") == "8" && consumed(port, "applied") == "40"; }, 30s));
  CHECK(count(pg.dsn(), "annotations") == 40);
  CHECK(count(pg.dsn(), "(SELECT event_id FROM annotations GROUP BY event_id HAVING count(*) > 1) twice") == 0);
  CHECK(count(pg.dsn(), "processed_events WHERE subscription = 'annotations'") == 40);
  CHECK(count(pg.dsn(), "dead_letters") == 0);

  auto r = http_get(port, "/api/v1/targets/" + std::to_string(targets[1]) + "/annotations");
  REQUIRE(r.status == 200);
  auto listed = json::parse(r.body);
  REQUIRE(listed.size() == 20);
  for (auto& a : listed) {
    CHECK(a["tags"] == json::array({"deploy"}));
    CHECK(a["occurred_at"] == "2026-11-23T08:00:00.000Z");
    CHECK(a["text"].get<std::string>().rfind("note ", 0) == 0);
  }
  CHECK(http_get(port, "/api/v1/targets/999999/annotations").status == 404);
  CHECK(http_get(port, "/api/v1/targets/1/annotations?limit=0").status == 400);
}

TEST_CASE("poison messages land in dead_letters, their partition moves on, and their offsets are committed",
          "[integration]") {
  kafka_dev kafka(1);
  pg_instance pg;
  auto node = std::make_unique<node_process>(pg.dsn(), std::vector<std::string>{kafka.node_flag()});
  REQUIRE(node->wait_ready_http());
  REQUIRE(wait_until([&] { return dependency_state(node->port(), "kafka") == "up"; }, 30s));
  auto target = quiet_target(node->port(), "poisoned");
  auto key = std::to_string(target);

  // All on one key, so in one partition, with the good one last.
  auto unknown_type = annotation_message(target, event_uuid(2), "x");
  unknown_type.second.replace(unknown_type.second.find("annotation.added"), 16, "annotation.gone!");
  produce(kafka, {{key, "not json at all"},
                  {key, R"({"id":"not-a-uuid","type":"annotation.added","occurred_at":"x","data":{}})"},
                  unknown_type,
                  {key, json{{"id", event_uuid(3)}, {"type", "annotation.added"},
                             {"occurred_at", "2026-11-23T08:00:00Z"}, {"data", {{"tags", {"no text"}}}}}.dump()},
                  annotation_message(target, event_uuid(4), "the good one")});

  REQUIRE(wait_until([&] { return count(pg.dsn(), "annotations") == 1; }, 30s, sql_poll));
  REQUIRE(wait_until([&] { return count(pg.dsn(), "dead_letters") == 4; }, 30s, sql_poll));
  auto dead = query(pg.dsn(), "SELECT origin, topic, \"partition\", \"offset\", key, error FROM dead_letters"
                              " ORDER BY \"offset\"");
  INFO(text_of(dead));
  for (auto& row : dead) {
    CHECK(row[0] == "consumer");
    CHECK(row[1] == "troupe.annotations");
    CHECK(row[2] == dead[0][2]);
    CHECK(row[4] == key);
  }
  CHECK_THAT(dead[0][5], Contains("not a JSON object"));
  CHECK_THAT(dead[1][5], Contains("id: expected a UUID"));
  CHECK_THAT(dead[2][5], Contains("unknown event type"));
  CHECK_THAT(dead[3][5], Contains("data.text"));
  CHECK(std::stol(dead[3][3]) == std::stol(dead[0][3]) + 3);
  CHECK(consumed(node->port(), "dead_letter") == "4");

  // A new member of the group starts from the committed offsets: it parks
  // nothing again, and takes only what is new.
  REQUIRE(node->terminate() == 0);
  node = std::make_unique<node_process>(pg.dsn(), std::vector<std::string>{kafka.node_flag()});
  REQUIRE(node->wait_ready_http());
  produce(kafka, {annotation_message(target, event_uuid(5), "after the restart")});
  REQUIRE(wait_until([&] { return count(pg.dsn(), "annotations") == 2; }, 30s, sql_poll));
  CHECK(count(pg.dsn(), "dead_letters") == 4);
  CHECK(consumed(node->port(), "dead_letter") == "none");
  CHECK(consumed(node->port(), "applied") == "1");
}
