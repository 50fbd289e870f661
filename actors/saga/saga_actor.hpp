#pragma once

#include <map>
#include <string>

#include <caf/fwd.hpp>

#include "actors/saga/messages.hpp"
#include "actors/saga/saga_definition.hpp"
#include "runtime/services.hpp"

namespace troupe::saga {

using definitions = std::map<std::string, saga_definition>;

// The host of the sagas of the shards this node holds (an entity host under
// sagas_name): one actor per unfinished saga. A saga's row and steps are
// written (group-committed, fenced by its shard's lease) before each step is
// sent and after each reply, so whoever holds the shard next resumes it from
// there: at takeover, and every saga.sweep_interval, the host resumes every
// unfinished saga of its shards. Infrastructure failures retry with
// exponential backoff and jitter (saga.retry_*); a saga's actor stops once
// it has finished. See messages.hpp for the protocol.
caf::actor spawn_saga_host(caf::actor_system& system, services s, const definitions* defs);

} // namespace troupe::saga
