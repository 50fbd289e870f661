#pragma once

#include <string>

#include <caf/expected.hpp>

#include "actors/orders/messages.hpp"
#include "persistence/group_commit.hpp"

// SQL of orders (0008_sagas.sql).
namespace troupe::persistence::order_store {

// Inserts `o` as pending unless its id exists; either way, the row.
orders::order add(group_commit::batch& b, const orders::order& o);

// Sets the status; errc::not_found.
caf::expected<orders::order> set_status(group_commit::batch& b, const std::string& id, const std::string& status);

} // namespace troupe::persistence::order_store
