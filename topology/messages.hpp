#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of the topology: what node agents say to each other.
namespace troupe::topology {

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using joined_atom = caf::atom_constant<caf::atom("joined")>;

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

} // namespace troupe::topology
