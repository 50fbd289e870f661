#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <nlohmann/json.hpp>

#include "actors/saga/saga_engine.hpp"
#include "runtime/config.hpp"

namespace troupe::saga {

// What a step is given: the saga's input, what earlier steps answered, and
// the idempotency key its request must carry ("saga_id:step").
struct step_call {
  std::string saga_id;
  std::string key;
  nlohmann::json input;
  nlohmann::json context;
};

struct step_reply {
  step_result result = step_result::succeeded;
  std::string error; // what went wrong, for the step's row (and the saga's, when it compensates)
  nlohmann::json context = nlohmann::json::object(); // merged into the saga's context
};

// Sends the step's one request from the saga's actor and reports how it
// ended, exactly once.
using step_fn = std::function<void(caf::event_based_actor* self, const step_call&, std::function<void(step_reply)>)>;

struct step_def {
  std::string name;
  step_fn action;
  step_fn compensation; // empty: nothing to undo
  bool pivot = false;
};

struct saga_definition {
  std::string type;
  std::vector<step_def> steps;

  std::vector<step_shape> shape() const;
};

// How a failed request ends a step: infrastructure errors (unavailable,
// timeout, overloaded, internal, lease_lost, CAF's own) retry; the rest are
// business failures.
step_reply reply_to(const caf::error& err);

// A step's one request to `whom`: its reply goes through `ok`, an error
// through reply_to, and a missing `whom` is retried.
template <class Reply>
void request_step(caf::event_based_actor* self, const caf::actor& whom, milliseconds timeout, caf::message msg,
                  std::function<step_reply(Reply&)> ok, std::function<void(step_reply)> done) {
  if (!whom)
    return done({step_result::retry, "the step's service is not running here", nlohmann::json::object()});
  self->request(whom, timeout, std::move(msg))
    .then([=](Reply& r) { done(ok(r)); }, [=](caf::error& e) { done(reply_to(e)); });
}

// The actor registered as `name` on this node (null when it is restarting).
inline caf::actor local(caf::event_based_actor* self, caf::atom_value name) {
  return caf::actor_cast<caf::actor>(self->system().registry().get(name));
}

// A string field of a saga's input or context; empty when absent.
inline std::string text(const nlohmann::json& j, const char* field) {
  return j.value(field, std::string{});
}

// The step succeeded; nothing to add to the context.
template <class Reply>
step_reply succeeded(Reply&) {
  return {};
}

} // namespace troupe::saga
