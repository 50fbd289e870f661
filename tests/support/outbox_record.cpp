#include "tests/support/outbox_record.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "tests/support/sql.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/wait_until.hpp"

namespace troupe::testing {
namespace {

std::string list(const std::vector<std::string>& xs, std::size_t most = 20) {
  std::string out;
  for (std::size_t i = 0; i < xs.size() && i < most; ++i)
    out += (i ? ", " : "") + xs[i];
  if (xs.size() > most)
    out += ", ... (" + std::to_string(xs.size()) + " in all)";
  return out;
}

std::string where(const kafka_message& m) {
  return m.topic + "/" + std::to_string(m.partition) + "@" + std::to_string(m.offset);
}

// What in `envelope` disagrees with `e`; "" when nothing does.
std::string disagreement(const recorded_event& e, const kafka_message& m, const nlohmann::json& envelope,
                         const std::string& prefix) {
  std::string out;
  auto differ = [&](const std::string& what, const std::string& expected, const std::string& got) {
    out += (out.empty() ? "" : "; ") + what + " " + got + " where the outbox has " + expected;
  };
  if (m.topic != prefix + "." + e.topic)
    differ("topic", prefix + "." + e.topic, m.topic);
  if (m.key != e.key)
    differ("key", e.key, m.key.value_or("(none)"));
  static const char* const fields[] = {"id", "type", "occurred_at", "source", "data"};
  for (auto* f : fields)
    if (!envelope.contains(f))
      differ("field", std::string("\"") + f + "\"", "absent");
  if (!out.empty())
    return out;
  if (envelope["type"] != e.type)
    differ("type", e.type, envelope["type"].dump());
  if (envelope["source"] != e.source)
    differ("source", e.source, envelope["source"].dump());
  if (envelope["data"] != e.data)
    differ("data", e.data.dump(), envelope["data"].dump());
  auto at = envelope["occurred_at"].is_string() ? rfc3339_us(envelope["occurred_at"].get<std::string>())
                                                 : std::nullopt;
  // PostgreSQL keeps microseconds: the same instant, to the microsecond.
  if (!at || *at != e.occurred_at_us)
    differ("occurred_at", to_rfc3339(e.occurred_at_us / 1000) + " (" + std::to_string(e.occurred_at_us) + " us)",
           envelope["occurred_at"].dump());
  return out;
}

} // namespace

void record_outbox(const std::string& dsn) {
  bool migrated = wait_until(
    [&] {
      try {
        return query_value(dsn, "SELECT to_regclass('outbox') IS NOT NULL") == "t";
      } catch (const std::exception&) {
        return false;
      }
    },
    std::chrono::seconds{30}, std::chrono::milliseconds{100});
  if (!migrated)
    throw std::runtime_error("no outbox table in " + dsn + " after 30 s: did the node apply its migrations?");
  query(dsn, R"(
    CREATE TABLE test_outbox_record (LIKE outbox);
    CREATE FUNCTION test_record_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_outbox_record SELECT NEW.*;
      RETURN NULL;
    END $$;
    CREATE TRIGGER test_record_outbox AFTER INSERT ON outbox
      FOR EACH ROW EXECUTE FUNCTION test_record_outbox();)");
}

std::vector<recorded_event> recorded_events(const std::string& dsn, const std::string& topic) {
  std::vector<recorded_event> out;
  for (auto& row : query(dsn, "SELECT id, event_id, topic, key, type, source,"
                              " (extract(epoch FROM occurred_at) * 1000000)::bigint, data::text"
                              " FROM test_outbox_record" +
                                (topic.empty() ? std::string{} : " WHERE topic = " + sql_literal(topic)) +
                                " ORDER BY id")) {
    recorded_event e;
    e.id = std::stoll(row[0]);
    e.event_id = row[1];
    e.topic = row[2];
    e.key = row[3];
    e.type = row[4];
    e.source = row[5];
    e.occurred_at_us = std::stoll(row[6]);
    e.data = nlohmann::json::parse(row[7]);
    out.push_back(std::move(e));
  }
  return out;
}

std::int64_t outbox_key_hash(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a 64 offset basis
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL; // FNV-1a 64 prime
  }
  return static_cast<std::int64_t>(h & ~(std::uint64_t{1} << 63));
}

std::string outbox_insert(const std::string& key, const std::string& type, const std::string& data) {
  return "INSERT INTO outbox (topic, key, key_hash, type, source, data) VALUES ('tests', " + sql_literal(key) + ", " +
         std::to_string(outbox_key_hash(key)) + ", " + sql_literal(type) + ", 'tests', " + data + ")";
}

std::int64_t outbox_backlog(const std::string& dsn) {
  return std::stoll(query_value(dsn, "SELECT count(*) FROM outbox"));
}

delivery_report compare_delivery(const std::vector<recorded_event>& record,
                                 const std::vector<kafka_message>& messages, const std::string& prefix) {
  delivery_report r;
  std::map<std::string, const recorded_event*> by_id;
  std::set<std::string> topics;
  for (auto& e : record) {
    by_id[e.event_id] = &e;
    topics.insert(prefix + "." + e.topic);
  }
  // (topic, key) -> the partitions its messages are on, and its events' ids
  // in the order of their first copies.
  std::map<std::pair<std::string, std::string>, std::set<int>> partitions;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> first_copies;
  // (topic, key) -> the outbox ids of all its messages, "*" marking a copy.
  std::map<std::pair<std::string, std::string>, std::string> copies;
  std::set<std::string> seen;
  // kcat_read_topic orders by partition, then offset: the order of each key.
  for (auto& m : messages) {
    if (!topics.count(m.topic))
      continue;
    ++r.messages;
    auto envelope = m.json();
    if (!envelope.is_object() || !envelope.contains("id") || !envelope["id"].is_string()) {
      r.mismatched.push_back(where(m) + ": not an event envelope: " + m.payload.substr(0, 200));
      continue;
    }
    auto id = envelope["id"].get<std::string>();
    auto e = by_id.find(id);
    if (e == by_id.end()) {
      r.unrecorded.push_back(where(m) + " " + id);
      continue;
    }
    if (auto why = disagreement(*e->second, m, envelope, prefix); !why.empty())
      r.mismatched.push_back(where(m) + " " + id + ": " + why);
    auto key = std::make_pair(m.topic, m.key.value_or(""));
    partitions[key].insert(m.partition);
    bool first = seen.insert(id).second;
    copies[key] += " " + std::to_string(e->second->id) + (first ? "" : "*") + "@" + std::to_string(m.timestamp_ms);
    if (!first) {
      ++r.duplicates;
      continue;
    }
    first_copies[key].push_back(id);
  }

  std::map<std::pair<std::string, std::string>, std::vector<std::string>> committed;
  for (auto& e : record) {
    if (!seen.count(e.event_id)) {
      r.missing.push_back(e.event_id + " (" + e.type + ", key " + e.key + ", outbox id " + std::to_string(e.id) + ")");
      continue;
    }
    committed[{prefix + "." + e.topic, e.key}].push_back(e.event_id);
  }
  for (auto& [key, parts] : partitions)
    if (parts.size() > 1)
      r.split.push_back(key.first + " key " + key.second + " on " + std::to_string(parts.size()) + " partitions");
  for (auto& [key, expected] : committed) {
    auto& got = first_copies[key];
    if (got == expected)
      continue;
    std::size_t i = 0;
    while (i < got.size() && i < expected.size() && got[i] == expected[i])
      ++i;
    auto outbox_id = [&](const std::vector<std::string>& ids) {
      if (i >= ids.size())
        return std::string("nothing");
      auto& e = *by_id[ids[i]];
      return std::to_string(e.id) + " (" + e.type + ", occurred at " + std::to_string(e.occurred_at_us) + " us)";
    };
    r.out_of_order.push_back(key.first + " key " + key.second + ": event " + std::to_string(i + 1) + " of " +
                             std::to_string(expected.size()) + " is outbox id " + outbox_id(got) +
                             " where the outbox order has " + outbox_id(expected) +
                             "; outbox ids on the partition (* a copy, @ when produced):" + copies[key]);
  }
  return r;
}

std::string describe(const delivery_report& r) {
  std::string out = std::to_string(r.messages) + " messages, " + std::to_string(r.duplicates) + " duplicates";
  auto section = [&](const char* title, const std::vector<std::string>& xs) {
    if (!xs.empty())
      out += std::string("\n") + title + " (" + std::to_string(xs.size()) + "): " + list(xs);
  };
  section("missing", r.missing);
  section("never in the outbox", r.unrecorded);
  section("disagreeing with the outbox", r.mismatched);
  section("split over partitions", r.split);
  section("out of order", r.out_of_order);
  return out;
}

std::map<std::string, delivery_report> delivery_by_topic(const std::string& dsn, const std::string& bootstrap,
                                                         const std::string& prefix) {
  std::map<std::string, delivery_report> out;
  for (auto& row : query(dsn, "SELECT DISTINCT topic FROM test_outbox_record ORDER BY 1")) {
    auto& topic = row[0];
    out[topic] = compare_delivery(recorded_events(dsn, topic), kcat_read_topic(bootstrap, prefix + "." + topic),
                                  prefix);
  }
  return out;
}

std::map<std::string, delivery_report> wait_for_delivery(const std::string& dsn, const std::string& bootstrap,
                                                         std::chrono::milliseconds timeout,
                                                         const std::string& prefix) {
  std::map<std::string, delivery_report> reports;
  wait_until(
    [&] {
      reports = delivery_by_topic(dsn, bootstrap, prefix);
      for (auto& [topic, report] : reports)
        if (!report.missing.empty())
          return false;
      return true;
    },
    timeout, std::chrono::milliseconds{500});
  return reports;
}

} // namespace troupe::testing
