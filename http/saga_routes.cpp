#include "http/saga_routes.hpp"

#include <caf/make_message.hpp>

#include "http/actor_call.hpp"
#include "http/auth.hpp"
#include "http/error_mapping.hpp"
#include "http/json_body.hpp"
#include "http/rfc3339.hpp"
#include "http/router.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/saga_store.hpp"
#include "runtime/atoms.hpp"

namespace troupe::http {
namespace {

using json = nlohmann::json;

json time_or_null(std::int64_t ms) {
  return ms ? json(format_rfc3339(ms)) : json(nullptr);
}

} // namespace

json to_json(const saga::saga_view& v) {
  auto input = json::parse(v.input, nullptr, false);
  if (input.is_object())
    input.erase("password_hash");
  auto steps = json::array();
  for (auto& st : v.steps)
    steps.push_back({{"name", st.name},
                     {"pivot", st.pivot},
                     {"status", st.status},
                     {"attempts", st.attempts},
                     {"last_error", st.last_error.empty() ? json(nullptr) : json(st.last_error)},
                     {"started_at", time_or_null(st.started_at_ms)},
                     {"finished_at", time_or_null(st.finished_at_ms)}});
  json out{{"id", v.id},
          {"type", v.type},
          {"state", v.state},
          {"step", v.step},
          {"input", input},
          {"context", json::parse(v.context, nullptr, false)},
          {"error", v.error.empty() ? json(nullptr) : json(v.error)},
          {"created_at", time_or_null(v.created_at_ms)},
          {"updated_at", time_or_null(v.updated_at_ms)},
          {"finished_at", time_or_null(v.finished_at_ms)}};
  // A list of sagas reads their rows only; a saga always has steps.
  if (!v.steps.empty())
    out["steps"] = steps;
  return out;
}

void run_saga(const edge_services& s, const std::string& id, const std::string& type, const json& input,
              std::function<void(caf::expected<saga::saga_view>)> done) {
  ask_entity<saga::saga_view>(*s.system, s.config->http.request_timeout, saga::sagas_name, id,
                              caf::make_message(start_atom::value, type, input.dump()), std::move(done));
}

void add_saga_routes(router& r, const edge_services& s) {
  r.add("GET", "/api/v1/sagas/{id}", authenticated(s, [s](const request& req, respond_fn respond) {
          s.pool->run<saga::saga_view>(
            [id = req.params[0]](pqxx::connection_base& c) -> caf::expected<saga::saga_view> {
              auto v = persistence::saga_store::load(c, id);
              if (!v)
                return make_error(errc::not_found, "no saga " + id);
              return *v;
            },
            [respond](caf::expected<saga::saga_view> v) {
              respond(v ? json_response(200, to_json(*v)) : from_error(v.error()));
            });
        }, "admin"));

  r.add("GET", "/api/v1/sagas", authenticated(s, [s](const request& req, respond_fn respond) {
          auto state = req.query_param("state").value_or("");
          if (!state.empty() && state != "running" && state != "compensating" && state != "completed" &&
              state != "compensated")
            return respond(from_error(bad("state: expected running, compensating, completed or compensated")));
          auto limit = req.query_param("limit").value_or("100");
          auto n = std::atoi(limit.c_str());
          if (n < 1 || n > 10'000 || std::to_string(n) != limit)
            return respond(from_error(bad("limit: expected an integer from 1 to 10000")));
          using views = std::vector<saga::saga_view>;
          s.pool->run<views>(
            [state, n](pqxx::connection_base& c) -> caf::expected<views> {
              return persistence::saga_store::list(c, state, n);
            },
            [respond](caf::expected<views> vs) {
              if (!vs)
                return respond(from_error(vs.error()));
              auto out = json::array();
              for (auto& v : *vs)
                out.push_back(to_json(v));
              respond(json_response(200, out));
            });
        }, "admin"));
}

} // namespace troupe::http
