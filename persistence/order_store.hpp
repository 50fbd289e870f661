#pragma once

#include <string>

#include <caf/expected.hpp>

#include "actors/orders/messages.hpp"
#include "persistence/group_commit.hpp"

// SQL of orders (0008_sagas.sql).
namespace troupe::persistence::order_store {

// Inserts `o` as pending unless its id exists; either way, the row.
void add(group_commit::batch& b, const orders::order& o, group_commit::deliver<orders::order> then);

// Sets the status; errc::not_found.
void set_status(group_commit::batch& b, const std::string& id, const std::string& status,
                group_commit::deliver<orders::order> then);

} // namespace troupe::persistence::order_store
