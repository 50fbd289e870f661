#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of the topology: what node agents say to each other.
namespace troupe::topology {

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using joined_atom = caf::atom_constant<caf::atom("joined")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using buried_atom = caf::atom_constant<caf::atom("buried")>;
using assign_atom = caf::atom_constant<caf::atom("assign")>;
using route_atom = caf::atom_constant<caf::atom("route")>;
using forward_atom = caf::atom_constant<caf::atom("forward")>;
using placement_atom = caf::atom_constant<caf::atom("placement")>;
using entity_atom = caf::atom_constant<caf::atom("entity")>;

// A node as its peers know it. `incarnation` is random per process, so a
// restarted node on the same address is told apart from the one it replaced.
struct member {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
  std::uint64_t incarnation = 0;
  caf::actor agent;

  std::string address() const { return host + ":" + std::to_string(port); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("troupe.member"), x.name, x.host, x.port, x.incarnation, x.agent);
}

// One row of the cluster view (node-local, for the API and metrics).
struct member_status {
  std::string name;
  std::string address;
  std::string status; // up, suspect, down
  std::int64_t last_seen_ms = 0;
  bool self = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(caf::meta::type_name("troupe.member_status"), x.name, x.address, x.status, x.last_seen_ms, x.self);
}

// What the node agent tells the shard keeper on every change (node-local):
// the peers that are up (with their agents), the incarnations it knows are
// dead (their leases may be taken at once), and whether it has heard from
// every member it knows of (before that, a node does not take shards).
struct membership {
  std::vector<member> up;
  std::vector<std::uint64_t> dead;
  bool settled = false;
};

// Shards this node owns and runs entities for: shard -> lease epoch.
using shard_epochs = std::map<int, std::int64_t>;

// Who to deliver to, for the shard region (node-local): the owner's name per
// shard (empty while none can take messages), and the agents of up peers.
struct placement {
  std::string self;
  std::vector<std::string> owners;
  std::map<std::string, caf::actor> agents;
};

} // namespace troupe::topology

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::topology::membership)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::topology::placement)
