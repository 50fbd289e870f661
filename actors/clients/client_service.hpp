#pragma once

#include <caf/fwd.hpp>

#include "actors/clients/messages.hpp"
#include "runtime/services.hpp"

namespace troupe::clients {

// The client service of this node (any node serves any client: the rows
// are the state). Writes are group-committed. See messages.hpp.
caf::actor spawn_client_service(caf::actor_system& system, services s);

} // namespace troupe::clients
