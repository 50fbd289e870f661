#pragma once

#include <string>

#include <caf/expected.hpp>

#include "actors/clients/messages.hpp"
#include "persistence/group_commit.hpp"

namespace pqxx {
class connection_base;
}

// SQL of clients (0008_sagas.sql).
namespace troupe::persistence::client_store {

// Inserts `c` as pending unless its id exists; either way, the row.
void add(group_commit::batch& b, const clients::client& c, group_commit::deliver<clients::client> then);

// Sets the status (and the user, when given); errc::not_found.
void set_status(group_commit::batch& b, const std::string& id, const std::string& status, const std::string& user_id,
                group_commit::deliver<clients::client> then);

caf::expected<clients::client> get(pqxx::connection_base& c, const std::string& id);

} // namespace troupe::persistence::client_store
