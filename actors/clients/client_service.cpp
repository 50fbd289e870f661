#include "actors/clients/client_service.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "persistence/client_store.hpp"
#include "persistence/pg_pool.hpp"

namespace troupe::clients {
namespace {

namespace store = persistence::client_store;
using batch = persistence::group_commit::batch;
template <class T>
using deliver = persistence::group_commit::deliver<T>;

// An approved client never changes again (only a registration saga before
// its pivot rejects, and it approves after it), so it is kept: an order saga
// reads its client to notify, and this spares that read a round trip.
struct client_service_state {
  std::unordered_map<std::string, client> approved;
  static constexpr std::size_t max_kept = 100'000;
  static inline const char* name = "clients";
};

caf::behavior client_service(caf::stateful_actor<client_service_state>* self, services s) {
  self->system().registry().put(clients_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(clients_name); });
  auto set_status = [=](const std::string& id, const char* status, const std::string& user_id) {
    return s.writes->reply(self->make_response_promise<client>(),
                           [=](batch& b, deliver<client> then) {
                             store::set_status(b, id, status, user_id, std::move(then));
                           });
  };
  return {
    [=](caf::add_atom, const client& c) -> caf::result<client> {
      return s.writes->reply(self->make_response_promise<client>(),
                             [c](batch& b, deliver<client> then) { store::add(b, c, std::move(then)); });
    },
    [=](approve_atom, const std::string& id, const std::string& user_id) -> caf::result<client> {
      return set_status(id, "approved", user_id);
    },
    [=](reject_atom, const std::string& id) -> caf::result<client> { return set_status(id, "rejected", ""); },
    [=](caf::get_atom, const std::string& id) -> caf::result<client> {
      if (auto i = self->state.approved.find(id); i != self->state.approved.end())
        return i->second;
      auto promise = self->make_response_promise<client>();
      s.pool->run<client>([id](pqxx::connection_base& c) { return store::get(c, id); },
                          [promise, me = caf::actor_cast<caf::actor>(self)](caf::expected<client> r) mutable {
                            if (r && r->status == "approved")
                              caf::anon_send(me, caf::put_atom::value, *r);
                            r ? promise.deliver(*r) : promise.deliver(r.error());
                          });
      return promise;
    },
    [=](caf::put_atom, client& c) {
      auto& kept = self->state.approved;
      if (kept.size() >= client_service_state::max_kept)
        kept.clear();
      kept.emplace(c.id, std::move(c));
    },
  };
}

} // namespace

caf::actor spawn_client_service(caf::actor_system& system, services s) {
  return system.spawn(client_service, s);
}

} // namespace troupe::clients
