#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pqxx {
class connection_base;
class transaction_base;
} // namespace pqxx

// The transactional outbox (0003_outbox.sql): domain code adds events in
// the transaction of the change they describe; the relay reads and removes them.
namespace troupe::persistence::outbox {

struct event {
  std::string topic;  // after the prefix: "checks", "events.targets"
  std::string type;   // "target.created": every type is in docs/events.md
  std::string key;    // the entity's id, and the Kafka message key
  std::string source; // the producing domain: "troupe/checker"
  std::string data;   // a JSON object
};

// One COPY of all `events`, committed (or not) with `tx`.
void add(pqxx::transaction_base& tx, const std::vector<event>& events);

// Which shard's holder relays the events of `key`: stable across processes
// and builds, never negative.
std::int64_t key_hash(std::string_view key);

// Where a relay is in the outbox's order: (transaction id, event id).
struct position {
  std::int64_t xid = 0;
  std::int64_t id = 0;
  bool operator==(const position& o) const { return xid == o.xid && id == o.id; }
};

struct pending {
  position at;
  std::string topic;
  std::string key;
  std::string envelope; // {"id","type","occurred_at","source","data"}
};

struct batch {
  std::vector<int> shards; // whose leases the relay holds, ascending
  std::vector<pending> events;
};

// Up to `limit` events after `after`, in order, among those of the shards
// whose leases `incarnation` holds and of the transactions that ended before
// any still running began (a later one may yet add events before them).
batch fetch(pqxx::connection_base& c, std::int64_t incarnation, int shards, position after, int limit);

// Removes delivered events.
void remove(pqxx::connection_base& c, const std::vector<std::int64_t>& ids);

// Moves an event Kafka will never take to dead_letters.
void bury(pqxx::connection_base& c, std::int64_t id, const std::string& error);

// Events not yet delivered, on every node: exact up to 100,000, above that
// the span of their ids (deliveries out of id order leave holes in it).
std::int64_t backlog(pqxx::connection_base& c);

} // namespace troupe::persistence::outbox
