#include "actors/bridge/envelope.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

#include "runtime/errors.hpp"

namespace troupe::bridge {
namespace {

bool is_uuid(const std::string& s) {
  if (s.size() != 36)
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i])))
      return false;
  return true;
}

} // namespace

caf::expected<envelope> parse_envelope(const std::string& payload) {
  auto bad = [](const std::string& why) { return make_error(errc::invalid_argument, why); };
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad("not a JSON object");
  auto text = [&](const char* field) {
    auto i = j.find(field);
    return i != j.end() && i->is_string() ? i->get<std::string>() : std::string{};
  };
  envelope e{text("id"), text("type"), text("occurred_at"), {}};
  if (!is_uuid(e.id))
    return bad("id: expected a UUID");
  if (e.type.empty())
    return bad("type: expected a non-empty string");
  if (e.occurred_at.empty())
    return bad("occurred_at: expected an RFC 3339 time");
  if (!j.contains("data") || !j["data"].is_object())
    return bad("data: expected a JSON object");
  e.data = j["data"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return e;
}

} // namespace troupe::bridge
