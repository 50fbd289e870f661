#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
namespace persistence {
class pg_pool;
}
} // namespace troupe

namespace troupe::bridge {

struct relay_services {
  const node_config* config;
  persistence::pg_pool* pool;
  troupe::metrics* metrics;
  std::int64_t incarnation; // whose shard leases decide which events this node relays
};

// Publishes the outbox to Kafka: the events of the shards this node holds,
// in id order, each deleted once the brokers acknowledged it. Woken by
// PostgreSQL's NOTIFY, and every kafka.relay_poll_interval in case one was
// missed. Runs on its own thread; a fatal producer error ends it, and its
// supervisor starts it again with a new producer.
caf::actor spawn_outbox_relay(caf::actor_system& system, relay_services s);

} // namespace troupe::bridge
