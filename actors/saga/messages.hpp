#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of sagas. A saga is an entity (topology/entity_host.hpp)
// under sagas_name, sharded by its id; reach it by routing
// entity_message(id, ...):
//   (start_atom, type, input)  -> saga_view, once the saga has finished.
//        `input` is a JSON object's text. A saga with this id that exists
//        already is not started again: the answer waits for it instead.
//        errc::invalid_argument for an unknown type.
//   (resume_atom)              -> (nothing); runs it on if unfinished
namespace troupe::saga {

constexpr caf::atom_value sagas_name = caf::atom("sagas");

struct step_view {
  std::string name;
  bool pivot = false;
  std::string status; // pending, running, succeeded, failed, compensating, compensated
  std::int32_t attempts = 0;
  std::string last_error;
  std::int64_t started_at_ms = 0; // 0: not yet
  std::int64_t finished_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_view& x) {
  return f(caf::meta::type_name("troupe.saga_step"), x.name, x.pivot, x.status, x.attempts, x.last_error,
           x.started_at_ms, x.finished_at_ms);
}

struct saga_view {
  std::string id;
  std::string type;
  std::string state; // running, compensating, completed, compensated
  std::int32_t step = 0;
  std::int32_t shard = 0;
  std::string input;   // JSON object
  std::string context; // JSON object: what steps answered
  std::string error;   // the business failure it compensated for
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::vector<step_view> steps;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, saga_view& x) {
  return f(caf::meta::type_name("troupe.saga"), x.id, x.type, x.state, x.step, x.shard, x.input, x.context, x.error,
           x.created_at_ms, x.updated_at_ms, x.finished_at_ms, x.steps);
}

} // namespace troupe::saga
