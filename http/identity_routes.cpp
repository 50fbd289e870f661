#include "http/identity_routes.hpp"


#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <nlohmann/json.hpp>

#include "actors/identity/messages.hpp"
#include "http/actor_call.hpp"
#include "http/auth.hpp"
#include "http/error_mapping.hpp"
#include "http/idempotency.hpp"
#include "http/json_body.hpp"
#include "http/rfc3339.hpp"
#include "http/router.hpp"
#include "runtime/errors.hpp"

namespace troupe::http {
namespace {

using json = nlohmann::json;

// Never the password hash: the actor does not hand it out.
json to_json(const identity::user& u) {
  return {{"id", u.id},
          {"login", u.login},
          {"first_name", u.first_name},
          {"last_name", u.last_name},
          {"email", u.email},
          {"role", u.role},
          {"client_id", u.client_id.empty() ? json(nullptr) : json(u.client_id)},
          {"created_at", format_rfc3339(u.created_at_ms)}};
}

// Asks the identity actor; `render` turns its reply into the response.
template <class Reply, class Render, class... Ts>
void ask_identity(const edge_services& s, const respond_fn& respond, Render render, Ts... xs) {
  auto identity = s.system->registry().get(identity::identity_name);
  if (!identity)
    return respond(from_error(make_error(errc::unavailable, "identity is restarting")));
  ask<Reply>(*s.system, caf::actor_cast<identity::identity_actor>(identity), s.config->http.request_timeout,
             std::function<void(caf::expected<Reply>)>([respond, render](caf::expected<Reply> r) {
               respond(r ? render(*r) : from_error(r.error()));
             }),
             xs...);
}

response no_content() {
  return response{204, {}, "application/json", {}};
}

} // namespace

void add_identity_routes(router& r, const edge_services& s) {
  // Keyed, so that a retry of a registration that went through gets its
  // answer again rather than 409 for the login it took.
  auto register_user = [s](const request& req, respond_fn respond) {
    auto f = string_fields(req.body, {"login", "password", "first_name", "last_name", "email"});
    if (!f)
      return respond(from_error(f.error()));
    auto& in = *f;
    identity::new_user u{in["login"], in["first_name"], in["last_name"], in["email"], "", ""};
    ask_identity<identity::user>(
      s, respond, [](const identity::user& created) { return json_response(201, to_json(created)); },
      identity::register_atom::value, u, in["password"]);
  };
  r.add("POST", "/api/v1/auth/register", idempotent(s, register_user, {"password"}));

  r.add("POST", "/api/v1/auth/login", [s](const request& req, respond_fn respond) {
    auto f = string_fields(req.body, {"login", "password"});
    if (!f)
      return respond(from_error(f.error()));
    auto session_ttl = s.config->identity.session_ttl;
    ask_identity<identity::session>(
      s, respond,
      [session_ttl](const identity::session& opened) {
        auto res = json_response(200, {{"token", opened.jwt},
                                       {"token_type", "Bearer"},
                                       {"expires_at", format_rfc3339(opened.jwt_expires_at_ms)},
                                       {"user", to_json(opened.who)}});
        res.headers.emplace_back("Set-Cookie", session_cookie(opened.token, session_ttl));
        return res;
      },
      identity::login_atom::value, (*f)["login"], (*f)["password"]);
  });

  r.add("POST", "/api/v1/auth/logout", authenticated(s, [s](const request& req, respond_fn respond) {
          ask_identity<bool>(
            s, respond,
            [](bool) {
              auto res = no_content();
              res.headers.emplace_back("Set-Cookie", session_cookie("", milliseconds{0}));
              return res;
            },
            identity::logout_atom::value, req.session_id);
        }));

  // Keyed, so that a retry of a change that went through gets 204 again
  // rather than 401 for the old password it replaced.
  auto change_password = [s](const request& req, respond_fn respond) {
    auto f = string_fields(req.body, {"old_password", "new_password"});
    if (!f)
      return respond(from_error(f.error()));
    identity::password_change change{req.user_id, req.session_id, (*f)["old_password"], (*f)["new_password"]};
    ask_identity<bool>(
      s, respond, [](bool) { return no_content(); }, identity::password_atom::value, change);
  };
  r.add("POST", "/api/v1/auth/password",
        authenticated(s, idempotent(s, change_password, {"old_password", "new_password"})));

  // Before /api/v1/users/{id}, which "me" would match too.
  r.add("GET", "/api/v1/users/me", authenticated(s, [s](const request& req, respond_fn respond) {
          ask_identity<identity::user>(
            s, respond, [](const identity::user& u) { return json_response(200, to_json(u)); },
            caf::get_atom::value, req.user_id);
        }));

  // Another user's profile is forbidden whether or not it exists; only an
  // admin learns that an id is unknown (404).
  r.add("GET", "/api/v1/users/{id}", authenticated(s, [s](const request& req, respond_fn respond) {
          auto& id = req.params[0];
          if (id != req.user_id && req.role != "admin")
            return respond(from_error(make_error(errc::forbidden, "a profile is shown to its owner and admins only")));
          ask_identity<identity::user>(
            s, respond, [](const identity::user& u) { return json_response(200, to_json(u)); },
            caf::get_atom::value, id);
        }));
}

} // namespace troupe::http
