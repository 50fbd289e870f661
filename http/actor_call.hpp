#pragma once

#include <functional>

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "topology/entity_host.hpp"
#include "topology/placement.hpp"
#include "topology/shard_region.hpp"

namespace troupe::http {

// Sends one request to `whom` from outside any actor and hands the reply
// (or the error, or the timeout) to `done`, on a CAF thread. The temporary
// actor it spawns ends with the reply.
template <class Reply, class Handle, class... Ts>
void ask(caf::actor_system& system, Handle whom, milliseconds timeout,
         std::function<void(caf::expected<Reply>)> done, Ts... xs) {
  system.spawn([=](caf::event_based_actor* self) {
    self->request(whom, timeout, xs...).then([=](Reply& r) { done(std::move(r)); },
                                              [=](caf::error& e) { done(std::move(e)); });
  });
}

// Sends `inner` to entity `id` of the entity host `host`, wherever in the
// cluster it runs, through this node's shard region.
template <class Reply>
void ask_entity(caf::actor_system& system, milliseconds timeout, caf::atom_value host, const std::string& id,
                caf::message inner, std::function<void(caf::expected<Reply>)> done) {
  auto region = system.registry().get(topology::shard_region_name);
  if (!region)
    return done(make_error(errc::unavailable, "the shard region is restarting"));
  ask<Reply>(system, caf::actor_cast<caf::actor>(region), timeout, std::move(done), topology::route_atom::value, host,
             topology::key_of(id), topology::entity_message(id, std::move(inner)));
}

} // namespace troupe::http
