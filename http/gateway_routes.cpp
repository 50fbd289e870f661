#include "http/gateway_routes.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "actors/billing/messages.hpp"
#include "actors/clients/messages.hpp"
#include "actors/identity/messages.hpp"
#include "actors/identity/validation.hpp"
#include "http/actor_call.hpp"
#include "http/auth.hpp"
#include "http/error_mapping.hpp"
#include "http/idempotency.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "http/saga_routes.hpp"
#include "persistence/notification_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/uuid.hpp"

namespace troupe::http {
namespace {

using json = nlohmann::json;

template <class Reply, class Render, class... Ts>
void ask_local(const edge_services& s, caf::atom_value name, const respond_fn& respond, Render render, Ts... xs) {
  auto whom = s.system->registry().get(name);
  if (!whom)
    return respond(from_error(make_error(errc::unavailable, caf::to_string(name) + " is restarting")));
  ask<Reply>(*s.system, caf::actor_cast<caf::actor>(whom), s.config->http.request_timeout,
             std::function<void(caf::expected<Reply>)>([respond, render](caf::expected<Reply> r) {
               respond(r ? render(*r) : from_error(r.error()));
             }),
             xs...);
}

// A saga that compensated failed for a business reason: 422 with it.
response saga_failure(const saga::saga_view& v) {
  return error_response(422, v.type + "_failed", v.error.empty() ? "the " + v.type + " was undone" : v.error);
}

caf::expected<std::int64_t> positive_sum(const json& j) {
  auto v = j.find("sum");
  if (v == j.end() || !v->is_number_integer() || v->get<std::int64_t>() <= 0 ||
      v->get<std::int64_t>() > 1'000'000'000'000'000)
    return bad("sum: expected a positive integer of minor units");
  return v->get<std::int64_t>();
}

void add_dev_routes(router& r, const edge_services& s) {
  r.add("GET", "/dev/clientService/client/{id}", [s](const request& req, respond_fn respond) {
    ask_local<clients::client>(
      s, clients::clients_name, respond,
      [](const clients::client& c) {
        return json_response(200, {{"id", c.id},
                                   {"login", c.login},
                                   {"firstName", c.first_name},
                                   {"lastName", c.last_name},
                                   {"email", c.email},
                                   {"status", c.status},
                                   {"userId", c.user_id.empty() ? json(nullptr) : json(c.user_id)}});
      },
      caf::get_atom::value, req.params[0]);
  });

  r.add("GET", "/dev/notificationService/notification/last", [s](const request&, respond_fn respond) {
    using found = std::optional<notifications::notification>;
    s.pool->run<found>(
      [](pqxx::connection_base& c) -> caf::expected<found> { return persistence::notification_store::last(c); },
      [respond](caf::expected<found> n) {
        if (!n)
          return respond(from_error(n.error()));
        if (!*n)
          return respond(from_error(make_error(errc::not_found, "no notification yet")));
        respond(json_response(200, {{"id", (*n)->id}, {"type", (*n)->type}, {"data", json::parse((*n)->data)}}));
      });
  });

  r.add("POST", "/dev/billingService/billing/deposit", idempotent(s, [s](const request& req, respond_fn respond) {
          auto j = parse_object(req.body);
          if (!j)
            return respond(from_error(j.error()));
          auto client = j->find("clientId");
          if (client == j->end() || !client->is_string() || client->get<std::string>().empty())
            return respond(from_error(bad("clientId: expected a client id")));
          auto sum = positive_sum(*j);
          if (!sum)
            return respond(from_error(sum.error()));
          auto id = client->get<std::string>();
          // The operation is named after the key, so that a retry whose
          // stored answer was lost (its node died) deposits once.
          ask_entity<billing::operation>(
            *s.system, s.config->http.request_timeout, billing::accounts_name, id,
            caf::make_message(billing::deposit_atom::value, "dev:" + id_for(req), *sum, std::string{}),
            [respond, id](caf::expected<billing::operation> op) {
              respond(op ? json_response(200, {{"id", id}, {"clientId", id}, {"balance", op->balance_after}})
                         : from_error(op.error()));
            });
        }));
}

} // namespace

void add_gateway_routes(router& r, const edge_services& s) {
  // Runs the registration saga and answers once it has finished: the client
  // approved, its account open, the notification sent. The password is
  // hashed here, as the saga keeps its input and must never hold it clear.
  auto register_client = [s](const request& req, respond_fn respond) {
    auto f = string_fields(req.body, {"login", "password", "firstName", "lastName", "email"});
    if (!f)
      return respond(from_error(f.error()));
    auto in = *f;
    identity::new_user u{in["login"], in["firstName"], in["lastName"], in["email"], "", ""};
    if (auto err = identity::validate(u))
      return respond(from_error(err));
    if (auto err = identity::validate_password(in["password"]))
      return respond(from_error(err));
    auto identity = s.system->registry().get(identity::identity_name);
    if (!identity)
      return respond(from_error(make_error(errc::unavailable, "identity is restarting")));
    auto saga_id = id_for(req);
    ask<std::string>(
      *s.system, caf::actor_cast<caf::actor>(identity), s.config->http.request_timeout,
      std::function<void(caf::expected<std::string>)>([s, in, saga_id, respond](caf::expected<std::string> h) {
        if (!h)
          return respond(from_error(h.error()));
        json input{{"client_id", new_uuid()},      {"login", in.at("login")},
                   {"password_hash", *h},          {"first_name", in.at("firstName")},
                   {"last_name", in.at("lastName")}, {"email", in.at("email")}};
        run_saga(s, saga_id, "registration", input, [respond](caf::expected<saga::saga_view> v) {
          if (!v)
            return respond(from_error(v.error()));
          if (v->state != "completed")
            return respond(saga_failure(*v));
          auto started = json::parse(v->input);
          respond(json_response(200, {{"clientId", started["client_id"]}, {"login", started["login"]}}));
        });
      }),
      identity::hash_atom::value, in["password"]);
  };
  r.add("POST", "/api/client/register_client", idempotent(s, register_client, {"password"}));

  r.add("POST", "/api/auth/login", [s](const request& req, respond_fn respond) {
    auto f = string_fields(req.body, {"login", "password"});
    if (!f)
      return respond(from_error(f.error()));
    ask_local<identity::session>(
      s, identity::identity_name, respond,
      [ttl = s.config->identity.session_ttl](const identity::session& opened) {
        auto res = json_response(200, {{"status", "OK"}});
        res.headers.emplace_back("Set-Cookie", session_cookie(opened.token, ttl));
        return res;
      },
      identity::login_atom::value, (*f)["login"], (*f)["password"]);
  });

  // Runs the order saga for the caller's client; answers once it has
  // finished: {"success":"ok"}, or 422 {"error", "message"} when the
  // withdraw was refused and the order rejected.
  r.add("POST", "/api/order/create_order",
        authenticated(s, idempotent(s, [s](const request& req, respond_fn respond) {
                        auto j = parse_object(req.body);
                        if (!j)
                          return respond(from_error(j.error()));
                        auto sum = positive_sum(*j);
                        if (!sum)
                          return respond(from_error(sum.error()));
                        if (req.client_id.empty())
                          return respond(from_error(make_error(
                            errc::conflict, "the caller is not a client (register through /api/client/register_client)")));
                        json input{{"order_id", new_uuid()},
                                   {"client_id", req.client_id},
                                   {"user_id", req.user_id},
                                   {"sum", *sum}};
                        // Named after the client's account, so that it runs where the account does.
                        auto id = req.client_id + "." + id_for(req);
                        run_saga(s, id, "order", input, [respond](caf::expected<saga::saga_view> v) {
                          if (!v)
                            return respond(from_error(v.error()));
                          if (v->state != "completed")
                            return respond(saga_failure(*v));
                          respond(json_response(200, {{"success", "ok"}}));
                        });
                      })));

  if (s.config->http.dev_routes)
    add_dev_routes(r, s);
}

} // namespace troupe::http
