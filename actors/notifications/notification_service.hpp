#pragma once

#include <caf/fwd.hpp>

#include "actors/notifications/messages.hpp"
#include "runtime/services.hpp"

namespace troupe::notifications {

// The notification service of this node: stores notifications, once per
// key, group-committed. See messages.hpp.
caf::actor spawn_notification_service(caf::actor_system& system, services s);

} // namespace troupe::notifications
