#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/saga/messages.hpp"
#include "persistence/group_commit.hpp"

namespace pqxx {
class connection_base;
}

// SQL of sagas and saga_steps (0008_sagas.sql). Writes are deferred to the
// commit of a group commit batch, fenced by the saga's shard lease; reads
// run on a pool worker.
namespace troupe::persistence::saga_store {

// Writes a new saga and its steps (all pending). The batch fails when a
// saga with this id exists already.
void create(group_commit::batch& b, const saga::saga_view& s);

// A step is about to be sent (again): status running or compensating,
// one more attempt.
void step_started(group_commit::batch& b, const std::string& id, int step, const std::string& status);

// A step answered: its status (and error), and where the saga is now.
struct step_end {
  std::string id;
  int step = 0;
  std::string status;
  std::string error;
  std::string saga_state;
  int saga_step = 0;
  std::string context;    // JSON object
  std::string saga_error; // empty: unchanged
};
void step_ended(group_commit::batch& b, const step_end& e);

std::optional<saga::saga_view> load(pqxx::connection_base& c, const std::string& id);

// Sagas, newest first; `state` empty for all, "running" for every
// unfinished one (compensating ones too).
std::vector<saga::saga_view> list(pqxx::connection_base& c, const std::string& state, int limit);

// Ids of unfinished sagas in `shards`, oldest first.
std::vector<std::string> unfinished(pqxx::connection_base& c, const std::vector<int>& shards, int limit);

} // namespace troupe::persistence::saga_store
