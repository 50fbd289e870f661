#pragma once

#include <caf/fwd.hpp>

#include "actors/orders/messages.hpp"
#include "runtime/services.hpp"

namespace troupe::orders {

// The order service of this node (any node serves any order: the rows are
// the state). Writes are group-committed. See messages.hpp.
caf::actor spawn_order_service(caf::actor_system& system, services s);

} // namespace troupe::orders
