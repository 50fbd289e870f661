#pragma once

#include "http/routes.hpp"

namespace troupe::http {

// The saga gateway's API, route for route and shape for shape (README,
// "Saga gateway"): /api/client/register_client, /api/auth/login,
// /api/order/create_order, and, with http.dev_routes, its /dev/...
// inspection routes.
void add_gateway_routes(router& r, const edge_services& s);

} // namespace troupe::http
