#pragma once

#include <string>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
namespace persistence {
class pg_pool;
}
} // namespace troupe

namespace troupe::bridge {

// Events from outside for the actors of one domain (docs/events.md,
// "Consumed topics").
struct subscription {
  std::string name;     // the consumer group is PREFIX.NAME; handlers dedupe per name
  std::string topic;    // after the prefix
  caf::atom_value host; // the handler, registered under this name on every node
};

struct consumer_services {
  const node_config* config;
  persistence::pg_pool* pool;
  troupe::metrics* metrics;
};

// This node's member of the subscription's consumer group. Each message
// goes through the shard region to the host on the node owning its key
// (bridge::consume_atom); a partition's offset is committed once every
// message before it is handled. Messages that can never be handled (not an
// envelope, an unknown type, refused by the handler) go to dead_letters and
// the partition moves on; infrastructure errors are retried with backoff.
caf::actor spawn_subscription_consumer(caf::actor_system& system, consumer_services s, subscription sub);

} // namespace troupe::bridge
