#include "http/auth.hpp"

#include <cctype>
#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>

#include "actors/identity/messages.hpp"
#include "http/actor_call.hpp"
#include "http/error_mapping.hpp"
#include "runtime/errors.hpp"

namespace troupe::http {
namespace {

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// A 401 that tells the client which scheme to use (RFC 6750 §3), and
// whether what it sent was refused.
response challenge(const caf::error& err, bool invalid_token) {
  auto res = from_error(err);
  res.headers.emplace_back("WWW-Authenticate", invalid_token ? "Bearer error=\"invalid_token\"" : "Bearer");
  return res;
}

} // namespace

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      auto value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return std::string(value);
    }
    if (semi == std::string_view::npos)
      break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  auto space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "bearer"))
    return std::nullopt;
  auto token = trim(authorization.substr(space + 1));
  if (token.empty() || token.find_first_of(" \t") != std::string_view::npos)
    return std::nullopt;
  return std::string(token);
}

handler authenticated(const edge_services& s, handler inner, std::string required_role) {
  return [s, inner = std::move(inner), required_role = std::move(required_role)](const request& req,
                                                                                 respond_fn respond) {
    identity::credentials presented;
    if (auto token = bearer_token(req.header("authorization")))
      presented.jwt = std::move(*token);
    else
      for (auto& [name, value] : req.headers)
        if (name == "cookie")
          if (auto token = cookie_value(value, "session"); token && !token->empty()) {
            presented.session_token = std::move(*token);
            break;
          }
    if (presented.jwt.empty() && presented.session_token.empty())
      return respond(challenge(
        make_error(errc::unauthenticated, "credentials required: a session cookie or an Authorization: Bearer token"),
        false));
    auto identity = s.system->registry().get(identity::identity_name);
    if (!identity)
      return respond(from_error(make_error(errc::unavailable, "identity is restarting")));
    // The request is the connection's and is reused: the handler gets a copy.
    ask<identity::caller>(
      *s.system, caf::actor_cast<identity::identity_actor>(identity), s.config->http.request_timeout,
      std::function<void(caf::expected<identity::caller>)>(
        [copy = req, inner, required_role, respond](caf::expected<identity::caller> who) mutable {
          if (!who)
            return respond(is(who.error(), errc::unauthenticated) ? challenge(who.error(), true)
                                                                   : from_error(who.error()));
          if (!required_role.empty() && who->role != required_role && who->role != "admin")
            return respond(from_error(make_error(errc::forbidden, "this needs the role " + required_role)));
          copy.user_id = who->user_id;
          copy.client_id = who->client_id;
          copy.role = who->role;
          copy.session_id = who->session_id;
          // The handler may read the request until it answers, after this
          // callback and its temporary actor are gone (idempotent() does,
          // after a database round trip): the responder keeps it alive.
          auto held = std::make_shared<const request>(std::move(copy));
          inner(*held, [held, respond = std::move(respond)](response res) { respond(std::move(res)); });
        }),
      identity::authenticate_atom::value, presented);
  };
}

std::string session_cookie(const std::string& token, milliseconds ttl) {
  return "session=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(ttl.count() / 1000);
}

} // namespace troupe::http
