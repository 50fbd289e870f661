#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "runtime/config.hpp"
#include "topology/messages.hpp"

namespace troupe::topology {

// What an entity host runs: entities of one kind (accounts, sagas), each
// named by a string id and living in the shard of placement's key_of(id).
struct entity_host_spec {
  std::string kind;      // "accounts": for logs
  caf::atom_value name;  // the registry name the shard region delivers to
  int shards;
  milliseconds passivate_after; // an entity sent nothing this long is stopped
  // Spawns entity `id`, which writes under the lease (`shard`, `epoch`).
  // An entity answers (stop_atom) by finishing what it has started and
  // quitting; it quits by itself when it has nothing left to do.
  std::function<caf::actor(caf::actor_system&, const std::string& id, int shard, std::int64_t epoch)> spawn;
  // Told the shards just taken here, and every `resume_interval` (0:
  // never) all it holds, for entities that must run without being asked
  // (unfinished sagas): it starts them by sending the host
  // entity_message(id, ...). May be empty.
  std::function<void(caf::actor host, const shard_epochs& shards)> resume;
  milliseconds resume_interval{0};
};

// The actor, one per node and kind, that runs the entities of the shards
// this node holds. The shard keeper names it among its hosts.
//   (entity_atom, std::string id, caf::message) -> what the entity answers;
//       spawns the entity on demand; errc::unavailable when the id's shard
//       is not held here (it is moving: retry)
//   (assign_atom, shard_epochs) -> unit, once the entities of shards no
//       longer held (or held under another epoch) have stopped
caf::actor spawn_entity_host(caf::actor_system& system, entity_host_spec spec);

// What to route (route_atom, host, key_of(id), ...) to reach entity `id`.
caf::message entity_message(const std::string& id, caf::message inner);

} // namespace troupe::topology
