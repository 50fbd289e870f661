#pragma once

#include <caf/fwd.hpp>

#include "actors/billing/messages.hpp"
#include "runtime/services.hpp"

namespace troupe::billing {

// The host of the accounts of the shards this node holds (an entity host
// under accounts_name): one account actor per account, spawned on demand,
// its balance loaded from PostgreSQL, stopped after
// billing.passivate_after idle. An account takes one operation at a time;
// it decides it from its balance, and answers once the ledger writer has
// committed it. See messages.hpp for the protocol.
caf::actor spawn_account_host(caf::actor_system& system, services s);

} // namespace troupe::billing
