#pragma once

#include <functional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include "runtime/config.hpp"

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

} // namespace troupe::http
