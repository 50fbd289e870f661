// A key's events leave in outbox order even when the transactions that
// wrote them commit out of step with other keys' transactions: ids are
// handed out at insert, and a transaction may commit after one that took a
// higher id.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

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

TEST_CASE("a key's events reach Kafka in order when their transaction commits after another key's later "
          "event",
          "[integration]") {
  kafka_dev kafka(1);
  pg_instance pg;
  // The fallback poll is slow here, so that what the relay does on a
  // commit's notification is what gets to Kafka first.
  node_process node(pg.dsn(), {kafka.node_flag(), "--kafka.relay_poll_interval=5s"});
  REQUIRE(node.wait_ready_http());
  record_outbox(pg.dsn());
  REQUIRE(wait_until([&] { return dependency_state(node.port(), "kafka") == "up"; }, 30s));

  // A transaction takes the first id for key "k" and stays open...
  pqxx::connection slow_connection(pg.dsn());
  pqxx::work slow(slow_connection);
  slow.exec(outbox_insert("k", "test.first", R"('{"n": 1}')"));
  // ...while another key's event, with a higher id, commits. Its NOTIFY
  // wakes the relay, which must not send it before the older transaction
  // ends: that one may yet add events (and here does) with lower ids.
  query(pg.dsn(), outbox_insert("other", "test.other", R"('{"n": 2}')"));
  // Then the open transaction adds key k's second event and commits: both
  // of k's events become visible at once.
  slow.exec(outbox_insert("k", "test.second", R"('{"n": 3}')"));
  slow.commit();

  auto messages = kcat_consume(kafka.bootstrap(), "troupe.tests", 3);
  auto report = compare_delivery(recorded_events(pg.dsn()), messages);
  INFO(describe(report));
  CHECK(report.missing.empty());
  CHECK(report.out_of_order.empty());
  std::vector<std::string> k_types;
  for (auto& m : messages)
    if (m.key == "k")
      k_types.push_back(m.json().value("type", std::string{}));
  CHECK(k_types == std::vector<std::string>{"test.first", "test.second"});
}
