#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
}

namespace troupe::topology {

// Delivers messages for a key to the node that owns the key's shard.
//   (route_atom, caf::atom_value host, std::uint64_t key, caf::message)
//       hands `message` to the actor registered as `host` on the owner: here
//       directly, elsewhere through that node's agent. The owner's answer
//       goes straight to the sender. While the shard has no owner that can
//       take it (moving, or its node lost), up to cluster.region_buffer
//       messages wait for one; past that, or after
//       cluster.region_buffer_timeout, the sender gets errc::unavailable.
//   (placement_atom, placement) from the shard keeper, after every tick
caf::actor spawn_shard_region(caf::actor_system& system, const node_config& cfg, metrics* m);

constexpr caf::atom_value shard_region_name = caf::atom("region");

} // namespace troupe::topology
