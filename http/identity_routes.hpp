#pragma once

#include "http/routes.hpp"

namespace troupe::http {

class router;

// /api/v1/auth/... (register, login, logout, password) and /api/v1/users/...
// (profiles), answered by the identity actor.
void add_identity_routes(router& r, const edge_services& s);

} // namespace troupe::http
