#pragma once

#include <caf/fwd.hpp>

#include "runtime/config.hpp"
#include "topology/messages.hpp"

namespace troupe::topology {

// This node's voice in the cluster, published on cluster.port. It dials the
// seeds, learns the other members from them and tells them of new ones, and
// watches every peer: a lost link makes the peer `suspect` and is confirmed
// by redialling (refused or timed out: `down`; a new incarnation: replaced).
// A refusal or a replacement proves the old incarnation dead: the shard
// keeper may take its leases at once, and the peers are told so.
// Only the side with the lower address dials a live peer, since
// simultaneous dials confuse CAF 0.17's middleman; after a loss both redial.
//   (hello_atom, member)   -> std::vector<member>  a peer introduces itself
//   (joined_atom, member)                          a peer heard of a new one
//   (buried_atom, incarnation)                     a peer has proof it died
// Members of other nodes travel without their agent handle: each node hands
// over only its own, over its own link.
//   (caf::get_atom)        -> std::vector<member_status>
// It registers itself under node_agent_name. With `publish_self` it
// publishes itself on cluster.port (a restarted agent does; the first one is
// published by main, which stops the node when the port is taken); the
// port closes when it exits.
caf::actor spawn_node_agent(caf::actor_system& system, const node_config& cfg, member self, bool publish_self);

// The node's agent is registered under this name, for the HTTP edge and
// the shard keeper.
constexpr caf::atom_value node_agent_name = caf::atom("agent");

// Every type that crosses nodes, registered in this one place.
void register_message_types(caf::actor_system_config& cfg);

} // namespace troupe::topology
