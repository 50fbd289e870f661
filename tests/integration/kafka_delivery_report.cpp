// The comparison the Kafka tests rest on (tests/support/outbox_record.hpp),
// fed by hand: it must see each way a delivery can go wrong, or the tests
// that use it could not fail.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/outbox_record.hpp"

using namespace troupe::testing;
using nlohmann::json;

namespace {

// 2026-11-23T07:00:00.123456Z
constexpr std::int64_t at_us = 1795417200123456;

recorded_event event(std::int64_t id, const std::string& key) {
  return {id, "00000000-0000-4000-8000-00000000000" + std::to_string(id), "tests", key, "test.event", "tests", at_us,
          json{{"n", id}}};
}

kafka_message message(const recorded_event& e, int partition, std::int64_t offset) {
  json envelope{{"id", e.event_id},
                {"type", e.type},
                {"occurred_at", "2026-11-23T07:00:00.123456Z"},
                {"source", e.source},
                {"data", e.data}};
  return {"troupe.tests", partition, offset, 0, e.key, envelope.dump()};
}

} // namespace

TEST_CASE("the delivery comparison passes a complete delivery with duplicates and flags every kind of fault",
          "[integration]") {
  std::vector<recorded_event> record{event(1, "a"), event(2, "b"), event(3, "a"), event(4, "a")};

  SECTION("every event, each key in order, a duplicate on the wire") {
    auto r = compare_delivery(record, {message(record[0], 0, 0), message(record[2], 0, 1), message(record[0], 0, 2),
                                       message(record[3], 0, 3), message(record[1], 1, 0)});
    INFO(describe(r));
    CHECK(r.complete());
    CHECK(r.messages == 5);
    CHECK(r.duplicates == 1);
  }
  SECTION("a missing event") {
    auto r = compare_delivery(record, {message(record[0], 0, 0), message(record[3], 0, 1), message(record[1], 1, 0)});
    REQUIRE(r.missing.size() == 1);
    CHECK(r.missing[0].find(record[2].event_id) == 0);
    CHECK(r.out_of_order.empty());
    CHECK_FALSE(r.complete());
  }
  SECTION("a key's events out of outbox order") {
    auto r = compare_delivery(record, {message(record[2], 0, 0), message(record[0], 0, 1), message(record[3], 0, 2),
                                       message(record[1], 1, 0)});
    CHECK(r.missing.empty());
    CHECK(r.out_of_order.size() == 1);
    CHECK_FALSE(r.complete());
  }
  SECTION("a late copy does not count as disorder, a late first copy does") {
    auto late_copy = compare_delivery(record, {message(record[0], 0, 0), message(record[2], 0, 1),
                                               message(record[3], 0, 2), message(record[2], 0, 3),
                                               message(record[1], 1, 0)});
    CHECK(late_copy.complete());
    auto late_first = compare_delivery(record, {message(record[0], 0, 0), message(record[3], 0, 1),
                                                message(record[2], 0, 2), message(record[1], 1, 0)});
    CHECK(late_first.out_of_order.size() == 1);
  }
  SECTION("a key on two partitions") {
    auto r = compare_delivery(record, {message(record[0], 0, 0), message(record[2], 2, 0), message(record[3], 2, 1),
                                       message(record[1], 1, 0)});
    CHECK(r.split.size() == 1);
    CHECK_FALSE(r.complete());
  }
  SECTION("an event whose data, key, type or time differ from the outbox, and one never recorded") {
    auto changed = message(record[2], 0, 1);
    auto envelope = changed.json();
    envelope["data"]["n"] = 30;
    envelope["occurred_at"] = "2026-11-23T07:00:00.123Z";
    changed.payload = envelope.dump();
    auto stranger = event(9, "a");
    auto r = compare_delivery(record, {message(record[0], 0, 0), changed, message(record[3], 0, 2),
                                       message(stranger, 0, 3), message(record[1], 1, 0)});
    REQUIRE(r.mismatched.size() == 1);
    CHECK(r.mismatched[0].find("data") != std::string::npos);
    CHECK(r.mismatched[0].find("occurred_at") != std::string::npos);
    CHECK(r.unrecorded.size() == 1);
    CHECK_FALSE(r.complete());
  }
  SECTION("a payload that is no envelope") {
    auto junk = message(record[1], 1, 0);
    junk.payload = "not json";
    auto r = compare_delivery(record, {message(record[0], 0, 0), message(record[2], 0, 1), message(record[3], 0, 2),
                                       junk});
    CHECK(r.mismatched.size() == 1);
    CHECK(r.missing.size() == 1);
  }
}

TEST_CASE("the outbox key hash is FNV-1a 64 with the top bit cleared", "[integration]") {
  // Reference values of FNV-1a 64 (offset basis 0xcbf29ce484222325).
  CHECK(outbox_key_hash("") == static_cast<std::int64_t>(0xcbf29ce484222325ULL & 0x7fffffffffffffffULL));
  CHECK(outbox_key_hash("a") == static_cast<std::int64_t>(0xaf63dc4c8601ec8cULL & 0x7fffffffffffffffULL));
  CHECK(outbox_key_hash("foobar") == static_cast<std::int64_t>(0x85944171f73967e8ULL & 0x7fffffffffffffffULL));
}
