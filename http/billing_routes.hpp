#pragma once

#include "http/routes.hpp"

namespace troupe::http {

// /api/v1/accounts...: accounts, deposits, withdrawals, history (README, "Billing").
void add_billing_routes(router& r, const edge_services& s);

} // namespace troupe::http
