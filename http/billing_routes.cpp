#include "http/billing_routes.hpp"

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "actors/billing/messages.hpp"
#include "http/actor_call.hpp"
#include "http/auth.hpp"
#include "http/error_mapping.hpp"
#include "http/idempotency.hpp"
#include "http/json_body.hpp"
#include "http/rfc3339.hpp"
#include "http/router.hpp"
#include "persistence/ledger_store.hpp"
#include "persistence/pg_pool.hpp"

namespace troupe::http {
namespace {

using json = nlohmann::json;
namespace store = persistence::ledger_store;

// Far beyond any real amount, and far from int64 overflow.
constexpr std::int64_t max_amount = 1'000'000'000'000'000;

json to_json(const billing::account& a) {
  return {{"id", a.id}, {"owner", a.owner}, {"balance", a.balance}, {"created_at", format_rfc3339(a.created_at_ms)}};
}

json to_json(const billing::operation& op) {
  return {{"op_id", op.op_id},   {"account_id", op.account_id}, {"kind", op.kind},
          {"outcome", op.outcome}, {"requested", op.requested},  {"amount", op.amount},
          {"balance", op.balance_after}, {"at", format_rfc3339(op.at_ms)}};
}

caf::expected<std::int64_t> parse_amount(const std::string& body, const char* field) {
  auto j = parse_object(body);
  if (!j)
    return j.error();
  for (auto& [key, value] : j->items())
    if (key != field)
      return bad(key + ": unknown field");
  auto v = j->find(field);
  if (v == j->end())
    return bad(std::string(field) + ": required");
  if (!v->is_number_integer() || v->get<std::int64_t>() <= 0 || v->get<std::int64_t>() > max_amount)
    return bad(std::string(field) + ": expected a positive integer of minor units, at most " +
               std::to_string(max_amount));
  return v->get<std::int64_t>();
}

// The system (an admin) may act on any account; a user on theirs only.
std::string acting_user(const request& req) {
  return req.role == "admin" ? std::string{} : req.user_id;
}

response operation_response(const billing::operation& op) {
  auto res = op.outcome == "refused"
               ? error_response(422, "insufficient_funds",
                                "the balance (" + std::to_string(op.balance_after) + ") is less than " +
                                  std::to_string(op.requested))
               : json_response(201, to_json(op));
  if (op.outcome == "refused") {
    auto body = json::parse(res.body);
    body["operation"] = to_json(op);
    res.body = body.dump();
  }
  if (op.replayed)
    res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

template <class Atom>
handler money_route(const edge_services& s, Atom atom, const char* field) {
  return [s, atom, field](const request& req, respond_fn respond) {
    if (auto err = malformed_key(req))
      return respond(from_error(err));
    auto amount = parse_amount(req.body, field);
    if (!amount)
      return respond(from_error(amount.error()));
    ask_entity<billing::operation>(
      *s.system, s.config->http.request_timeout, billing::accounts_name, req.params[0],
      caf::make_message(atom, id_for(req), *amount, acting_user(req)),
      [respond](caf::expected<billing::operation> op) {
        respond(op ? operation_response(*op) : from_error(op.error()));
      });
  };
}

// Reads account `id` for its owner (or an admin), and renders what `read` makes of it.
template <class T, class Read, class Render>
void read_owned(const edge_services& s, const request& req, respond_fn respond, Read read, Render render) {
  s.pool->run<T>(
    [id = req.params[0], user = acting_user(req), read](pqxx::connection_base& c) -> caf::expected<T> {
      auto a = store::find(c, id);
      if (!a)
        return make_error(errc::not_found, "no account " + id);
      if (!user.empty() && a->owner != user)
        return make_error(errc::forbidden, "account " + id + " is not yours");
      return read(c, *a);
    },
    [respond, render](caf::expected<T> r) { respond(r ? json_response(200, render(*r)) : from_error(r.error())); });
}

} // namespace

void add_billing_routes(router& r, const edge_services& s) {
  r.add("POST", "/api/v1/accounts", authenticated(s, [s](const request& req, respond_fn respond) {
    auto j = req.body.empty() ? caf::expected<json>(json::object()) : parse_object(req.body);
    if (!j)
      return respond(from_error(j.error()));
    if (!j->empty())
      return respond(from_error(bad(j->begin().key() + ": unknown field")));
    if (auto err = malformed_key(req))
      return respond(from_error(err));
    ask_entity<billing::account>(*s.system, s.config->http.request_timeout, billing::accounts_name, id_for(req),
                                 caf::make_message(billing::open_atom::value, req.user_id, id_for(req)),
                                 [respond](caf::expected<billing::account> a) {
                                   respond(a ? json_response(201, to_json(*a)) : from_error(a.error()));
                                 });
  }));

  r.add("GET", "/api/v1/accounts", authenticated(s, [s](const request& req, respond_fn respond) {
    s.pool->run<std::vector<billing::account>>(
      [user = req.user_id](pqxx::connection_base& c) -> caf::expected<std::vector<billing::account>> {
        return store::owned_by(c, user);
      },
      [respond](caf::expected<std::vector<billing::account>> as) {
        if (!as)
          return respond(from_error(as.error()));
        auto out = json::array();
        for (auto& a : *as)
          out.push_back(to_json(a));
        respond(json_response(200, out));
      });
  }));

  r.add("GET", "/api/v1/accounts/{id}", authenticated(s, [s](const request& req, respond_fn respond) {
    read_owned<billing::account>(
      s, req, respond, [](pqxx::connection_base&, const billing::account& a) { return a; },
      [](const billing::account& a) { return to_json(a); });
  }));

  r.add("GET", "/api/v1/accounts/{id}/history", authenticated(s, [s](const request& req, respond_fn respond) {
    auto limit = req.query_param("limit").value_or("100");
    auto n = std::atoi(limit.c_str());
    if (n < 1 || n > 10'000 || std::to_string(n) != limit)
      return respond(from_error(bad("limit: expected an integer from 1 to 10000")));
    read_owned<std::vector<billing::operation>>(
      s, req, respond, [n](pqxx::connection_base& c, const billing::account& a) { return store::history(c, a.id, n); },
      [](const std::vector<billing::operation>& ops) {
        auto out = json::array();
        for (auto& op : ops)
          out.push_back(to_json(op));
        return out;
      });
  }));

  r.add("POST", "/api/v1/accounts/{id}/deposits", authenticated(s, money_route(s, billing::deposit_atom::value, "amount")));
  r.add("POST", "/api/v1/accounts/{id}/withdrawals", authenticated(s, money_route(s, billing::withdraw_atom::value, "amount")));
}

} // namespace troupe::http
