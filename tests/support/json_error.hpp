#pragma once

#include <string>

#include "tests/support/http_client.hpp"

namespace troupe::testing {

// Checks, as Catch assertions, that `r` is the node's JSON error:
// status `status` and {"code": status, "error": "...", "message": "...`names`..."}.
void check_json_error(const http_response& r, unsigned status, const std::string& names);

} // namespace troupe::testing
