#include "actors/notifications/notification_service.hpp"

#include <caf/all.hpp>

#include "persistence/notification_store.hpp"

namespace troupe::notifications {
namespace {

caf::behavior notification_service(caf::event_based_actor* self, services s) {
  self->system().registry().put(notifications_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(notifications_name); });
  return {
    [=](notify_atom, const notification& n) -> caf::result<std::int64_t> {
      return s.writes->reply(self->make_response_promise<std::int64_t>(),
                             [n](persistence::group_commit::batch& b,
                                 persistence::group_commit::deliver<std::int64_t> then) {
                               persistence::notification_store::add(b, n, std::move(then));
                             });
    },
  };
}

} // namespace

caf::actor spawn_notification_service(caf::actor_system& system, services s) {
  return system.spawn(notification_service, s);
}

} // namespace troupe::notifications
