#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "persistence/lease_store.hpp"
#include "runtime/config.hpp"

namespace troupe {
struct metrics;
namespace persistence {
class pg_pool;
}
} // namespace troupe

namespace troupe::topology {

struct keeper_services {
  const node_config* config;
  persistence::pg_pool* pool;
  troupe::metrics* metrics;
  std::int64_t incarnation;
  bool clustered; // false: the node is alone and settled from the start
  // Registry names of the actors that run the entities of the shards (the
  // checkers' target manager, the account and saga hosts): each gets
  // (assign_atom, shard_epochs) and answers once it runs exactly those.
  std::vector<caf::atom_value> hosts;
};

// The node's side of the shard leases. Every cluster.lease_renew_interval,
// and at once when membership changes, it runs one lease transaction:
// renew what it holds, release what it handed off, take what rendezvous
// hashing over the up members gives it. Hand-off is clean: a shard leaves
// only after every host has stopped its entities.
//   (members_atom, membership)  from the node agent
//   (caf::get_atom)             -> std::vector<lease_row>, the table as last read
//   (stop_atom)                 -> unit, after every lease is released
// Tells the shard region where each shard lives after every tick.
caf::actor spawn_shard_keeper(caf::actor_system& system, keeper_services s);

constexpr caf::atom_value shard_keeper_name = caf::atom("keeper");

} // namespace troupe::topology

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<troupe::persistence::lease_store::lease_row>)
