#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "actors/checker/services.hpp"

namespace troupe::checker {

// The host of the `annotations` subscription on each node: takes the
// annotation.added events of the targets whose shards the node holds
// (bridge::consume_atom, see actors/bridge/messages.hpp) and stores each
// once, fenced by the target's shard lease.
caf::actor spawn_annotator(caf::actor_system& system, services s);

constexpr caf::atom_value annotator_name = caf::atom("annotator");

} // namespace troupe::checker
