#pragma once

#include <cstdint>
#include <optional>

#include "actors/notifications/messages.hpp"
#include "persistence/group_commit.hpp"

namespace pqxx {
class connection_base;
}

// SQL of notifications (0008_sagas.sql).
namespace troupe::persistence::notification_store {

// Adds `n` unless its key exists; either way, the id.
void add(group_commit::batch& b, const notifications::notification& n, group_commit::deliver<std::int64_t> then);

// The newest notification of all.
std::optional<notifications::notification> last(pqxx::connection_base& c);

} // namespace troupe::persistence::notification_store
