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

// Writes the saga as its actor holds it: its row, with the step `s.step`
// in it, and a saga_steps row for each step in `ended` (0011_saga_running_step.sql).
// `fresh` inserts the row: the batch then fails when a saga with this id
// exists already.
void write(group_commit::batch& b, const saga::saga_view& s, bool fresh, const std::vector<int>& ended);

std::optional<saga::saga_view> load(pqxx::connection_base& c, const std::string& id);

// Sagas, newest first; `state` empty for all, "running" for every
// unfinished one (compensating ones too).
std::vector<saga::saga_view> list(pqxx::connection_base& c, const std::string& state, int limit);

// Ids of unfinished sagas in `shards`, oldest first.
std::vector<std::string> unfinished(pqxx::connection_base& c, const std::vector<int>& shards, int limit);

} // namespace troupe::persistence::saga_store
