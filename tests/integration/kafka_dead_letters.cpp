// An event Kafka will never take is parked in dead_letters; what comes after
// it, on its key and on others, still goes out.
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
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

constexpr auto sql_poll = 100ms;

} // namespace

TEST_CASE("an event over Kafka's size limit lands in dead_letters and the events after it are still delivered",
          "[integration]") {
  kafka_dev kafka(1);
  pg_instance pg;
  node_process node(pg.dsn(), {kafka.node_flag()});
  REQUIRE(node.wait_ready_http());
  auto port = node.port();
  record_outbox(pg.dsn());
  REQUIRE(wait_until([&] { return dependency_state(port, "kafka") == "up"; }, 30s));

  // One transaction: the relay finds all three at once, the large one in
  // the middle of its key.
  query(pg.dsn(), outbox_insert("k", "test.before", R"('{"n": 1}')") + ";" +
                    outbox_insert("k", "test.large", "jsonb_build_object('n', 2, 'blob', repeat('x', 2000000))") +
                    ";" + outbox_insert("k", "test.after", R"('{"n": 3}')") + ";" +
                    outbox_insert("other", "test.after", R"('{"n": 4}')"));
  // And one later, by itself.
  query(pg.dsn(), outbox_insert("k", "test.later", R"('{"n": 5}')"));

  REQUIRE(wait_until([&] { return outbox_backlog(pg.dsn()) == 0; }, 30s, sql_poll));
  auto dead = query(pg.dsn(), "SELECT origin, topic, key, payload, error FROM dead_letters ORDER BY id");
  INFO("dead_letters:\n" << text_of(dead).substr(0, 2000));
  REQUIRE(dead.size() == 1);
  CHECK(dead[0][0] == "outbox");
  CHECK(dead[0][1] == "tests");
  CHECK(dead[0][2] == "k");
  auto payload = json::parse(dead[0][3], nullptr, false);
  REQUIRE(payload.is_object());
  CHECK(payload["type"] == "test.large");
  CHECK(payload["data"]["n"] == 2);
  CHECK(payload["data"]["blob"].get<std::string>().size() == 2000000);
  CHECK_THAT(dead[0][4], Contains("too large"));
  CHECK(exposed_metric(port, "troupe_outbox_dead_letters_total") == 1.0);

  // Everything else is on the topic, in order for its key; the large one is not.
  auto record = recorded_events(pg.dsn());
  REQUIRE(record.size() == 5);
  std::string large_id;
  std::vector<recorded_event> deliverable;
  for (auto& e : record)
    if (e.type == "test.large")
      large_id = e.event_id;
    else
      deliverable.push_back(e);
  auto messages = kcat_consume(kafka.bootstrap(), "troupe.tests", 4);
  auto report = compare_delivery(deliverable, messages);
  INFO(describe(report));
  CHECK(report.complete());
  CHECK(report.duplicates == 0);
  for (auto& m : messages)
    CHECK(m.json()["id"] != large_id);
  // No fifth message was waiting behind the four.
  CHECK(kcat_read_topic(kafka.bootstrap(), "troupe.tests").size() == 4);
}
