#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include "actors/saga/saga_engine.hpp"

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
// timeout, overloaded, internal, CAF's own) retry; the rest are business
// failures.
step_reply reply_to(const caf::error& err);

} // namespace troupe::saga
