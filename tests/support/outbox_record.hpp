#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/kcat.hpp"

// What the outbox promises, checked from both ends: every event committed
// to the `outbox` table reaches Kafka at least once, and the first copies of
// a key's events arrive in the order of their outbox ids. The relay deletes
// rows once Kafka has them, so the database side is recorded as it is
// written: a trigger the test installs copies every new outbox row, in the
// same transaction, into a table of the test's own.
namespace troupe::testing {

// Creates test_outbox_record and the trigger that fills it. Waits (up to
// 30 s) for the node's migrations to create `outbox` first; throws
// std::runtime_error when they do not.
void record_outbox(const std::string& dsn);

struct recorded_event {
  std::int64_t id = 0; // the outbox id: the order of the events
  std::string event_id;
  std::string topic; // without the prefix: "checks", "events.targets"
  std::string key;
  std::string type;
  std::string source;
  std::int64_t occurred_at_us = 0;
  nlohmann::json data;
};

// Every event recorded since record_outbox(), in outbox id order; with
// `topic` ("checks"), only that topic's.
std::vector<recorded_event> recorded_events(const std::string& dsn, const std::string& topic = {});

// The relay's key hash, written here from its definition (FNV-1a 64 of the
// key's bytes, top bit cleared) rather than borrowed: the shard of a key's
// relay is key_hash % cluster.shards.
std::int64_t outbox_key_hash(std::string_view key);

// An INSERT of one outbox row as domain code would add it: topic "tests"
// (published as PREFIX.tests), source "tests", `data` an SQL expression of
// a JSON object.
std::string outbox_insert(const std::string& key, const std::string& type, const std::string& data);

// Events the outbox still holds, on every node's shards.
std::int64_t outbox_backlog(const std::string& dsn);

struct delivery_report {
  std::size_t messages = 0;   // read from Kafka
  std::size_t duplicates = 0; // messages whose event id came earlier in their partition
  std::vector<std::string> missing;     // recorded, on no topic: "event id (type, key)"
  std::vector<std::string> unrecorded;  // on Kafka, never recorded: "topic/partition@offset id"
  std::vector<std::string> mismatched;  // a message that disagrees with its record, and how
  std::vector<std::string> split;       // keys whose messages are on more than one partition
  std::vector<std::string> out_of_order; // keys whose first copies differ from the outbox order, and how

  bool complete() const {
    return missing.empty() && unrecorded.empty() && mismatched.empty() && split.empty() && out_of_order.empty();
  }
};

// Compares `record` with `messages`, read from the topics "PREFIX.TOPIC" of
// the record. Messages of other topics are ignored.
delivery_report compare_delivery(const std::vector<recorded_event>& record,
                                 const std::vector<kafka_message>& messages, const std::string& prefix = "troupe");

// The report as lines, for INFO.
std::string describe(const delivery_report& report);

// For each topic the record of `dsn` names ("checks"): the record of that
// topic compared with what kcat reads from "PREFIX.TOPIC" on `bootstrap`.
std::map<std::string, delivery_report> delivery_by_topic(const std::string& dsn, const std::string& bootstrap,
                                                         const std::string& prefix = "troupe");

// Waits (up to `timeout`) until no recorded event is missing on Kafka; the
// last reports, by topic.
std::map<std::string, delivery_report> wait_for_delivery(const std::string& dsn, const std::string& bootstrap,
                                                         std::chrono::milliseconds timeout = std::chrono::seconds{30},
                                                         const std::string& prefix = "troupe");

} // namespace troupe::testing
