#pragma once

#include "actors/saga/saga_actor.hpp"

namespace troupe::saga {

// Client registration (input: client_id, login, password_hash, first_name,
// last_name, email): client add (compensated by client reject) -> user
// register (pivot; a taken login fails it) -> client approve -> billing
// create account (its id is the client's) -> notify newClientCreated.
saga_definition registration_saga(const node_config& cfg);

// Order creation (input: order_id, client_id, user_id, sum): order create
// (compensated by order reject) -> billing withdraw from the client's
// account (pivot; insufficient funds fail it) -> order confirm -> notify
// newOrderCreated with the client's names and email.
saga_definition order_saga(const node_config& cfg);

// Both, by type: "registration" and "order".
definitions all_definitions(const node_config& cfg);

} // namespace troupe::saga
