#include "actors/identity/jwt.hpp"

#include <nlohmann/json.hpp>

#include "actors/identity/crypto.hpp"
#include "runtime/errors.hpp"

namespace troupe::identity::jwt {
namespace {

using json = nlohmann::json;

caf::error invalid() {
  return make_error(errc::unauthenticated, "the bearer token is invalid");
}

// A base64url part holding a JSON object, or a discarded value.
json decode_object(std::string_view part) {
  auto text = crypto::from_base64url(part);
  if (!text)
    return json(json::value_t::discarded);
  auto j = json::parse(*text, nullptr, false);
  return j.is_object() ? j : json(json::value_t::discarded);
}

bool is_string(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string();
}

bool is_integer(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_number_integer();
}

} // namespace

std::string sign(const claims& c, std::string_view secret) {
  static const std::string header = crypto::base64url(R"({"alg":"HS256","typ":"JWT"})");
  json payload{{"sub", c.sub}, {"sid", c.sid}, {"role", c.role}, {"cid", c.cid}, {"iat", c.iat}, {"exp", c.exp}};
  auto signing_input = header + "." + crypto::base64url(payload.dump());
  return signing_input + "." + crypto::base64url(crypto::hmac_sha256(secret, signing_input));
}

caf::expected<claims> verify(std::string_view token, std::string_view secret, std::int64_t now) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return invalid();
  // The header is read before the signature is trusted only to refuse
  // every algorithm but ours ("none" above all).
  auto header = decode_object(token.substr(0, first));
  if (header.is_discarded() || !is_string(header, "alg") || header["alg"] != "HS256")
    return invalid();
  auto signature = crypto::from_base64url(token.substr(second + 1));
  auto expected = crypto::hmac_sha256(secret, token.substr(0, second));
  if (!signature || !crypto::equal_in_constant_time(*signature, expected))
    return invalid();
  auto payload = decode_object(token.substr(first + 1, second - first - 1));
  if (payload.is_discarded())
    return invalid();
  for (auto key : {"sub", "sid", "role", "cid"})
    if (!is_string(payload, key))
      return invalid();
  for (auto key : {"iat", "exp"})
    if (!is_integer(payload, key))
      return invalid();
  claims c;
  c.sub = payload["sub"].get<std::string>();
  c.sid = payload["sid"].get<std::string>();
  c.role = payload["role"].get<std::string>();
  c.cid = payload["cid"].get<std::string>();
  c.iat = payload["iat"].get<std::int64_t>();
  c.exp = payload["exp"].get<std::int64_t>();
  if (c.sub.empty() || c.sid.empty())
    return invalid();
  if (c.exp <= now)
    return make_error(errc::unauthenticated, "the bearer token has expired");
  return c;
}

} // namespace troupe::identity::jwt
