#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "persistence/ledger_store.hpp"
#include "runtime/services.hpp"

namespace troupe::billing {

using commit_atom = caf::atom_constant<caf::atom("commit")>;

// Group commit: the operations of many accounts share one transaction
// (one fsync). Operations arriving while postgres.group_commits_in_flight
// transactions run wait and go together in the next, up to
// postgres.group_commit_limit; each caller hears only after its commit.
//   (commit_atom, ledger_store::entry) -> ledger_store::outcome
// Registers itself as ledger_writer_name.
caf::actor spawn_ledger_writer(caf::actor_system& system, services s);

} // namespace troupe::billing

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::persistence::ledger_store::entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::persistence::ledger_store::outcome)
