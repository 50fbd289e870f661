#pragma once

#include <string>

#include <caf/error.hpp>

#include "http/message.hpp"

namespace troupe::http {

// The one error body: {"code": <status>, "error": "<slug>", "message": "<text>"}.
response error_response(unsigned status, const std::string& slug, const std::string& message);

// The one table from errors (ours, CAF's) to HTTP. Details of internal
// errors go to the log, not to the client.
response from_error(const caf::error& err);

} // namespace troupe::http
