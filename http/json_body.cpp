#include "http/json_body.hpp"

#include <algorithm>

#include "runtime/errors.hpp"

namespace troupe::http {

response json_response(unsigned status, const nlohmann::json& body) {
  response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

caf::error bad(const std::string& message) {
  return make_error(errc::invalid_argument, message);
}

caf::expected<nlohmann::json> parse_object(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    return bad("body: malformed JSON");
  if (!j.is_object())
    return bad("body: expected a JSON object");
  return j;
}

caf::expected<std::map<std::string, std::string>> string_fields(const std::string& body,
                                                               std::initializer_list<const char*> fields) {
  auto j = parse_object(body);
  if (!j)
    return j.error();
  std::map<std::string, std::string> out;
  for (auto& [key, value] : j->items()) {
    if (std::find_if(fields.begin(), fields.end(), [&](const char* f) { return key == f; }) == fields.end())
      return bad(key + ": unknown field");
    if (!value.is_string())
      return bad(key + ": expected a string");
    out[key] = value.get<std::string>();
  }
  for (auto field : fields)
    if (!out.count(field))
      return bad(std::string(field) + ": required");
  return out;
}

} // namespace troupe::http
