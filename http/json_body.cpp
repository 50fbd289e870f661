#include "http/json_body.hpp"

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

} // namespace troupe::http
