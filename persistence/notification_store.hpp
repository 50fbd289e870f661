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
std::int64_t add(group_commit::batch& b, const notifications::notification& n);

// The newest notification of all.
std::optional<notifications::notification> last(pqxx::connection_base& c);

} // namespace troupe::persistence::notification_store
