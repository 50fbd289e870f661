#pragma once

#include <initializer_list>
#include <map>
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

// A body of exactly `fields`, each a string: a missing or mistyped field is
// named, an unknown one refused rather than silently ignored.
caf::expected<std::map<std::string, std::string>> string_fields(const std::string& body,
                                                               std::initializer_list<const char*> fields);

} // namespace troupe::http
