#pragma once

#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "http/message.hpp"

// JSON in and out of handlers.
namespace troupe::http {

response json_response(unsigned status, const nlohmann::json& body);

// errc::invalid_argument with `message` (a 400 through from_error).
caf::error bad(const std::string& message);

// The body as a JSON object, or a 400 that says what is wrong with it.
caf::expected<nlohmann::json> parse_object(const std::string& body);

} // namespace troupe::http
