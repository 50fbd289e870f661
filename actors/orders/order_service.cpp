#include "actors/orders/order_service.hpp"

#include <caf/all.hpp>

#include "persistence/order_store.hpp"

namespace troupe::orders {
namespace {

namespace store = persistence::order_store;
using batch = persistence::group_commit::batch;
template <class T>
using deliver = persistence::group_commit::deliver<T>;

caf::behavior order_service(caf::event_based_actor* self, services s) {
  self->system().registry().put(orders_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(orders_name); });
  auto set_status = [=](const std::string& id, const char* status) {
    return s.writes->reply(self->make_response_promise<order>(),
                           [=](batch& b, deliver<order> then) { store::set_status(b, id, status, std::move(then)); });
  };
  return {
    [=](caf::add_atom, const order& o) -> caf::result<order> {
      return s.writes->reply(self->make_response_promise<order>(),
                             [o](batch& b, deliver<order> then) { store::add(b, o, std::move(then)); });
    },
    [=](confirm_atom, const std::string& id) -> caf::result<order> { return set_status(id, "confirmed"); },
    [=](reject_atom, const std::string& id) -> caf::result<order> { return set_status(id, "rejected"); },
  };
}

} // namespace

caf::actor spawn_order_service(caf::actor_system& system, services s) {
  return system.spawn(order_service, s);
}

} // namespace troupe::orders
