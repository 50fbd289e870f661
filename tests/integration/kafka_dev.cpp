// `troupe kafka-dev`: a Kafka that clients nobody here wrote can use, and
// its control interface for faults.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/json_error.hpp"
#include "tests/support/kafka_dev.hpp"
#include "tests/support/kcat.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

std::map<int, std::string> broker_states(const json& state) {
  std::map<int, std::string> out;
  for (auto& b : state.at("brokers"))
    out[b.at("id").get<int>()] = b.at("state").get<std::string>();
  return out;
}

} // namespace

TEST_CASE("kcat produces to and consumes from kafka-dev, which keeps each key's messages in order on one partition",
          "[integration]") {
  kafka_dev kafka(3);
  auto state = kafka.state();
  CHECK(state["bootstrap"] == kafka.bootstrap());
  CHECK(broker_states(state) == std::map<int, std::string>{{1, "up"}, {2, "up"}, {3, "up"}});

  kafka.create_topic("roundtrip", 2, 3);
  std::vector<std::pair<std::string, std::string>> sent;
  for (int i = 0; i < 30; ++i)
    sent.emplace_back("key-" + std::to_string(i % 5), "value " + std::to_string(i));
  auto produced = kcat_produce(kafka.bootstrap(), "roundtrip", sent);
  INFO("kcat -P: " << produced.err);
  REQUIRE(produced.exit_code == 0);

  auto got = kcat_consume(kafka.bootstrap(), "roundtrip", sent.size());
  REQUIRE(got.size() == sent.size());
  std::map<std::string, std::vector<std::string>> sent_by_key, got_by_key;
  std::map<std::string, std::set<int>> partitions_by_key;
  for (auto& [k, v] : sent)
    sent_by_key[k].push_back(v);
  for (auto& m : got) {
    CHECK(m.topic == "roundtrip");
    CHECK(m.partition >= 0);
    CHECK(m.partition < 2);
    REQUIRE(m.key);
    got_by_key[*m.key].push_back(m.payload);
    partitions_by_key[*m.key].insert(m.partition);
  }
  CHECK(got_by_key == sent_by_key);
  for (auto& [key, partitions] : partitions_by_key) {
    INFO("key " << key);
    CHECK(partitions.size() == 1);
  }
  // A second consumer reads the same messages again: they stay on the brokers.
  CHECK(kcat_read_topic(kafka.bootstrap(), "roundtrip").size() == sent.size());

  CHECK(kafka.terminate() == 0);
}

TEST_CASE("kafka-dev's faults reach a client: an injected error fails a produce, a downed broker refuses, and both "
          "can be undone",
          "[integration]") {
  kafka_dev kafka(1);

  kafka.fail_requests("Produce", {"MSG_SIZE_TOO_LARGE"});
  auto refused = kcat_produce(kafka.bootstrap(), "faults", {{"k", "refused"}});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Contains("Message size too large"));
  auto accepted = kcat_produce(kafka.bootstrap(), "faults", {{"k", "accepted"}});
  INFO("kcat -P: " << accepted.err);
  CHECK(accepted.exit_code == 0);

  kafka.fail_requests("Produce", {"MSG_SIZE_TOO_LARGE", "MSG_SIZE_TOO_LARGE"});
  kafka.clear_request_errors("Produce");
  auto after_clear = kcat_produce(kafka.bootstrap(), "faults", {{"k", "after clear"}});
  INFO("kcat -P: " << after_clear.err);
  CHECK(after_clear.exit_code == 0);

  auto messages = kcat_read_topic(kafka.bootstrap(), "faults");
  std::vector<std::string> payloads;
  for (auto& m : messages)
    payloads.push_back(m.payload);
  CHECK(payloads == std::vector<std::string>{"accepted", "after clear"});

  kafka.broker_down(1);
  CHECK(broker_states(kafka.state()) == std::map<int, std::string>{{1, "down"}});
  auto while_down = kcat_produce(kafka.bootstrap(), "faults", {{"k", "while down"}}, 5s);
  CHECK(while_down.exit_code != 0);
  kafka.broker_up(1);
  CHECK(broker_states(kafka.state()) == std::map<int, std::string>{{1, "up"}});
  auto back_up = kcat_produce(kafka.bootstrap(), "faults", {{"k", "back up"}});
  INFO("kcat -P: " << back_up.err);
  CHECK(back_up.exit_code == 0);
  CHECK(kcat_read_topic(kafka.bootstrap(), "faults").back().payload == "back up");
}

TEST_CASE("kafka-dev's control interface answers 404 for an unknown broker and 400 for a malformed request",
          "[integration]") {
  kafka_dev kafka(3);

  check_json_error(kafka.control("POST", "/brokers/4/down"), 404, "4");
  check_json_error(kafka.control("POST", "/brokers/0/up"), 404, "0");
  check_json_error(kafka.control("PUT", "/brokers/9/rtt", R"({"ms": 10})"), 404, "9");
  check_json_error(kafka.control("PUT", "/topics/t/partitions/0/leader", R"({"broker": 7})"), 404, "7");

  check_json_error(kafka.control("POST", "/brokers/one/down"), 400, "broker");
  check_json_error(kafka.control("PUT", "/brokers/1/rtt", "{not json"), 400, "JSON");
  check_json_error(kafka.control("PUT", "/brokers/1/rtt", R"([10])"), 400, "object");
  check_json_error(kafka.control("PUT", "/brokers/1/rtt", R"({"ms": -1})"), 400, "ms");
  check_json_error(kafka.control("PUT", "/brokers/1/rtt", R"({"ms": "10"})"), 400, "ms");
  check_json_error(
    kafka.control("POST", "/errors", R"({"request": "Nonsense", "errors": ["NOT_LEADER_FOR_PARTITION"]})"), 400,
    "request");
  check_json_error(kafka.control("POST", "/errors", R"({"request": "Produce", "errors": ["NO_SUCH_ERROR"]})"), 400,
                   "NO_SUCH_ERROR");
  check_json_error(kafka.control("POST", "/errors", R"({"request": "Produce", "errors": []})"), 400, "errors");
  check_json_error(kafka.control("DELETE", "/errors/Nonsense"), 400, "request");
  check_json_error(kafka.control("POST", "/topics", R"({"partitions": 2})"), 400, "name");
  check_json_error(kafka.control("POST", "/topics", R"({"name": "t", "partitions": 0})"), 400, "partitions");
  check_json_error(kafka.control("PUT", "/topics/t/partitions/x/leader", R"({"broker": 1})"), 400, "partition");

  // None of it changed a thing.
  auto state = kafka.state();
  CHECK(broker_states(state) == std::map<int, std::string>{{1, "up"}, {2, "up"}, {3, "up"}});
  for (auto& b : state["brokers"])
    CHECK(b["rtt_ms"] == 0);

  // And what is well formed works.
  kafka.set_rtt(2, 25);
  kafka.create_topic("moved", 2, 3);
  kafka.move_leader("moved", 1, 3);
  for (auto& b : kafka.state()["brokers"])
    CHECK(b["rtt_ms"] == (b["id"] == 2 ? 25 : 0));
  check_json_error(kafka.control("POST", "/topics", R"({"name": "moved", "partitions": 2, "replication": 3})"), 409,
                   "");
}
