#pragma once

#include <cstdint>
#include <functional>

#include <caf/fwd.hpp>

#include "actors/identity/messages.hpp"
#include "runtime/clock.hpp"
#include "runtime/config.hpp"

namespace troupe::persistence {
class pg_pool;
}

namespace troupe::identity {

class password_hasher;

// What the identity actor needs; all of it outlives it.
struct services {
  const node_config* config;
  persistence::pg_pool* pool;
  password_hasher* hasher;
  std::function<std::int64_t()> now_ms = system_time_ms; // the clock of bearer tokens
};

// Registers, logs in and authenticates users (the contract is
// identity_actor, in messages.hpp). It holds no user state: SQL runs on the
// pg_pool and password hashing on the hasher, and their answers come back
// to it as messages, so nothing ever blocks its thread. The JWT secret is
// identity.jwt_secret, or the one in the database that every node shares.
// Registers itself as identity_name.
// Returns the untyped handle, as supervisors take it.
caf::actor spawn_identity(caf::actor_system& system, services s);

} // namespace troupe::identity
