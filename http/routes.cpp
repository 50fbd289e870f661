#include "http/routes.hpp"

#include <charconv>

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <nlohmann/json.hpp>

#include "actors/checker/messages.hpp"
#include "actors/checker/services.hpp"
#include "actors/clients/messages.hpp"
#include "actors/identity/messages.hpp"
#include "http/actor_call.hpp"
#include "http/billing_routes.hpp"
#include "http/gateway_routes.hpp"
#include "http/saga_routes.hpp"
#include "http/error_mapping.hpp"
#include "http/identity_routes.hpp"
#include "http/idempotency.hpp"
#include "http/json_body.hpp"
#include "http/rfc3339.hpp"
#include "http/router.hpp"
#include "persistence/checker_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/node_agent.hpp"
#include "topology/shard_keeper.hpp"

namespace troupe::http {
namespace {

using json = nlohmann::json;
namespace store = persistence::checker_store;

caf::expected<std::int64_t> parse_positive(const std::string& field, const std::string& text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v <= 0)
    return bad(field + ": expected a positive integer, got '" + text + "'");
  return v;
}

json to_json(const checker::target& t) {
  return {{"id", t.id},
          {"name", t.spec.name},
          {"kind", t.spec.kind},
          {"url", t.spec.url},
          {"interval_ms", t.spec.interval_ms},
          {"timeout_ms", t.spec.timeout_ms},
          {"paused", t.paused},
          {"created_at", format_rfc3339(t.created_at_ms)}};
}

// POST /api/v1/targets: every field named when it is missing or mistyped;
// unknown fields are refused rather than silently ignored.
caf::expected<checker::target_spec> parse_target_spec(const std::string& body, const node_config& cfg) {
  auto j = parse_object(body);
  if (!j)
    return j.error();
  checker::target_spec spec;
  spec.interval_ms = static_cast<std::int32_t>(cfg.checker.default_interval.count());
  spec.timeout_ms = static_cast<std::int32_t>(cfg.checker.default_timeout.count());
  for (auto& [key, value] : j->items()) {
    if (key == "name" || key == "url" || key == "kind") {
      if (!value.is_string())
        return bad(key + ": expected a string");
      (key == "name" ? spec.name : key == "url" ? spec.url : spec.kind) = value.get<std::string>();
    } else if (key == "interval_ms" || key == "timeout_ms") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0 || value.get<std::int64_t>() > INT32_MAX)
        return bad(key + ": expected a non-negative integer");
      (key == "interval_ms" ? spec.interval_ms : spec.timeout_ms) = value.get<std::int32_t>();
    } else {
      return bad(key + ": unknown field");
    }
  }
  for (auto field : {"name", "url"})
    if (!j->contains(field))
      return bad(std::string(field) + ": required");
  if (!j->contains("timeout_ms"))
    spec.timeout_ms = std::min(spec.timeout_ms, spec.interval_ms);
  return spec;
}

// Runs a read on the pool and answers with `render(result)`, or the error.
template <class T, class F, class Render>
void read_db(const edge_services& s, const respond_fn& respond, F query, Render render) {
  s.pool->run<T>(std::move(query), [respond, render](caf::expected<T> r) {
    respond(r ? json_response(200, render(*r)) : from_error(r.error()));
  });
}

// Asks the target manager; `render` turns its reply into the response.
template <class Reply, class Render, class... Ts>
void ask_targets(const edge_services& s, const respond_fn& respond, Render render, Ts... xs) {
  auto manager = s.system->registry().get(checker::target_manager_name);
  if (!manager)
    return respond(from_error(make_error(errc::unavailable, "target manager is restarting")));
  ask<Reply>(*s.system, caf::actor_cast<checker::target_manager_actor>(manager), s.config->http.request_timeout,
             std::function<void(caf::expected<Reply>)>([respond, render](caf::expected<Reply> r) {
               respond(r ? render(*r) : from_error(r.error()));
             }),
             xs...);
}

// Routes that change targets take {id} from the path first.
template <class F>
handler with_id(F f) {
  return [f](const request& req, respond_fn respond) {
    auto id = parse_positive("id", req.params[0]);
    if (!id)
      return respond(from_error(id.error()));
    f(*id, std::move(respond));
  };
}

} // namespace

void add_routes(router& r, edge_services s) {
  r.add("GET", "/health", [health = json_response(200, {{"status", "ok"}, {"node", s.config->node.name}})](
                             const request&, respond_fn respond) { respond(health); });

  // 503 when PostgreSQL is away, or while the actors the API asks by name
  // are not (re)started yet: the supervisor starts them after the edge
  // listens. Without Kafka every write still succeeds (its events wait in
  // the outbox), so the node stays in service.
  r.add("GET", "/ready", [s](const request&, respond_fn respond) {
    auto pg = s.pool->up();
    auto& registry = s.system->registry();
    auto started = true;
    for (auto name : {checker::target_manager_name, topology::shard_region_name, identity::identity_name,
                      clients::clients_name})
      started = started && registry.get(name) != nullptr;
    auto kafka = s.config->kafka.brokers.empty() ? "not configured"
                 : s.metrics->kafka_up.Value() > 0 ? "up"
                                                   : "degraded";
    auto serving = pg && started;
    auto status = !started ? "starting" : serving && std::string_view(kafka) != "degraded" ? "ready" : "degraded";
    auto res = json_response(serving ? 200 : 503,
                             {{"status", status},
                              {"node", s.config->node.name},
                              {"dependencies", {{"postgres", pg ? "up" : "down"}, {"kafka", kafka}}}});
    if (!serving)
      res.headers.emplace_back("Retry-After", "1");
    respond(std::move(res));
  });

  r.add("GET", "/metrics", [s](const request&, respond_fn respond) {
    response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = s.metrics->serialize();
    respond(std::move(res));
  });

  // This node's view of the cluster: itself and every peer it knows, with
  // status (up, suspect, down, joining) and when it last saw it up; every
  // shard's lease as this node last read it, and the shards it owns.
  r.add("GET", "/api/v1/cluster", [s](const request&, respond_fn respond) {
    using leases = std::vector<persistence::lease_store::lease_row>;
    using members = std::vector<topology::member_status>;
    auto render = [s](const members& ms, const leases& ls) {
      auto out = json::array();
      for (auto& m : ms)
        out.push_back({{"name", m.name},
                       {"address", m.address},
                       {"status", m.status},
                       {"last_seen", m.last_seen_ms ? json(format_rfc3339(m.last_seen_ms)) : json(nullptr)},
                       {"self", m.self}});
      auto shards = json::array();
      auto owned = json::array();
      for (auto& l : ls) {
        shards.push_back({{"shard", l.shard},
                          {"owner", l.owner.empty() ? json(nullptr) : json(l.owner)},
                          {"epoch", l.epoch},
                          {"live", l.live}});
        if (l.owner_incarnation == s.incarnation)
          owned.push_back(l.shard);
      }
      return json_response(200, {{"node", s.config->node.name}, {"members", out}, {"shards", shards}, {"owned", owned}});
    };
    auto with_members = [s, render, respond](const leases& ls) {
      auto agent = s.system->registry().get(topology::node_agent_name);
      if (!agent)
        return respond(render({{s.config->node.name, "", "up", 0, true}}, ls));
      ask<members>(*s.system, caf::actor_cast<caf::actor>(agent), s.config->http.request_timeout,
                   std::function<void(caf::expected<members>)>([respond, render, ls](caf::expected<members> r) {
                     respond(r ? render(*r, ls) : from_error(r.error()));
                   }),
                   caf::get_atom::value);
    };
    auto keeper = s.system->registry().get(topology::shard_keeper_name);
    if (!keeper)
      return with_members({});
    ask<leases>(*s.system, caf::actor_cast<caf::actor>(keeper), s.config->http.request_timeout,
                std::function<void(caf::expected<leases>)>([respond, with_members](caf::expected<leases> r) {
                  if (!r)
                    return respond(from_error(r.error()));
                  with_members(*r);
                }),
                caf::get_atom::value);
  });

  r.add("POST", "/api/v1/targets", idempotent(s, [s](const request& req, respond_fn respond) {
    auto spec = parse_target_spec(req.body, *s.config);
    if (!spec)
      return respond(from_error(spec.error()));
    ask_targets<checker::target>(s, respond, [](const checker::target& t) { return json_response(201, to_json(t)); },
                                 caf::add_atom::value, *spec);
  }));

  r.add("GET", "/api/v1/targets", [s](const request&, respond_fn respond) {
    read_db<std::vector<checker::target>>(
      s, respond,
      [](pqxx::connection_base& c) -> caf::expected<std::vector<checker::target>> { return store::list_targets(c); },
      [](const std::vector<checker::target>& ts) {
        auto out = json::array();
        for (auto& t : ts)
          out.push_back(to_json(t));
        return out;
      });
  });

  r.add("GET", "/api/v1/targets/{id}", with_id([s](std::int64_t id, respond_fn respond) {
          read_db<checker::target>(
            s, respond, [id](pqxx::connection_base& c) { return store::get_target(c, id); },
            [](const checker::target& t) { return to_json(t); });
        }));

  // Fed from Kafka by the annotations subscription (docs/events.md).
  r.add("GET", "/api/v1/targets/{id}/annotations", [s](const request& req, respond_fn respond) {
    auto id = parse_positive("id", req.params[0]);
    auto limit = parse_positive("limit", req.query_param("limit").value_or("100"));
    if (!id)
      return respond(from_error(id.error()));
    if (!limit || *limit > 10'000)
      return respond(from_error(bad("limit: expected an integer from 1 to 10000")));
    using rows = std::vector<store::annotation_row>;
    read_db<rows>(
      s, respond,
      [id = *id, limit = static_cast<int>(*limit)](pqxx::connection_base& c) -> caf::expected<rows> {
        if (auto t = store::get_target(c, id); !t)
          return t.error();
        return store::list_annotations(c, id, limit);
      },
      [](const rows& rs) {
        auto out = json::array();
        for (auto& a : rs)
          out.push_back({{"id", a.id},
                         {"event_id", a.event_id},
                         {"text", a.text},
                         {"tags", json::parse(a.tags_json)},
                         {"occurred_at", format_rfc3339(a.occurred_at_ms)},
                         {"received_at", format_rfc3339(a.created_at_ms)}});
        return out;
      });
  });

  r.add("DELETE", "/api/v1/targets/{id}", idempotent(s, with_id([s](std::int64_t id, respond_fn respond) {
          ask_targets<bool>(
            s, respond, [](bool) { return response{204, {}, "application/json", {}}; }, caf::delete_atom::value, id);
        })));

  r.add("POST", "/api/v1/targets/{id}/pause", idempotent(s, with_id([s](std::int64_t id, respond_fn respond) {
          ask_targets<checker::target>(
            s, respond, [](const checker::target& t) { return json_response(200, to_json(t)); }, pause_atom::value,
            id);
        })));

  r.add("POST", "/api/v1/targets/{id}/resume", idempotent(s, with_id([s](std::int64_t id, respond_fn respond) {
          ask_targets<checker::target>(
            s, respond, [](const checker::target& t) { return json_response(200, to_json(t)); }, resume_atom::value,
            id);
        })));

  // The monitoring contract: [{"id","timestamp","name","value"}], oldest
  // first; "labels" and "target_id" are ours.
  r.add("GET", "/api/v1/metrics", [s](const request& req, respond_fn respond) {
    store::metric_query q;
    q.name = req.query_param("name").value_or("");
    for (auto [field, out] : {std::pair{"date_from", &q.from_ms}, std::pair{"date_to", &q.to_ms}}) {
      if (auto v = req.query_param(field); v && !v->empty()) {
        *out = parse_rfc3339(*v);
        if (!*out)
          return respond(from_error(bad(std::string(field) + ": expected an RFC 3339 time, got '" + *v + "'")));
      }
    }
    if (auto v = req.query_param("target")) {
      auto id = parse_positive("target", *v);
      if (!id)
        return respond(from_error(id.error()));
      q.target_id = *id;
    }
    if (auto v = req.query_param("limit")) {
      auto n = parse_positive("limit", *v);
      if (!n || *n > 10'000)
        return respond(from_error(bad("limit: expected an integer from 1 to 10000")));
      q.limit = static_cast<int>(*n);
    }
    read_db<std::vector<store::metric_row>>(
      s, respond, [q](pqxx::connection_base& c) -> caf::expected<std::vector<store::metric_row>> {
        return store::query_metrics(c, q);
      },
      [](const std::vector<store::metric_row>& rows) {
        auto out = json::array();
        for (auto& m : rows)
          out.push_back({{"id", m.id},
                         {"timestamp", format_rfc3339(m.ts_ms)},
                         {"name", m.name},
                         {"value", m.value},
                         {"labels", json::parse(m.labels_json)},
                         {"target_id", m.target_id}});
        return out;
      });
  });

  // The monitoring contract: [{"id","timestamp","domain","status"}], the
  // last `num` (default 7), oldest first; the rest of each object is ours.
  r.add("GET", "/api/v1/checks", [s](const request& req, respond_fn respond) {
    store::check_query q;
    if (auto v = req.query_param("domain"); v && !v->empty())
      q.domain = *v;
    if (auto v = req.query_param("target")) {
      auto id = parse_positive("target", *v);
      if (!id)
        return respond(from_error(id.error()));
      q.target_id = *id;
    }
    if (auto v = req.query_param("num")) {
      auto n = parse_positive("num", *v);
      if (!n || *n > 10'000)
        return respond(from_error(bad("num: expected an integer from 1 to 10000")));
      q.num = static_cast<int>(*n);
    }
    read_db<std::vector<store::check_row>>(
      s, respond, [q](pqxx::connection_base& c) -> caf::expected<std::vector<store::check_row>> {
        return store::query_checks(c, q);
      },
      [](const std::vector<store::check_row>& rows) {
        auto out = json::array();
        for (auto& c : rows)
          out.push_back({{"id", c.id},
                         {"timestamp", format_rfc3339(c.checked_at_ms)},
                         {"domain", c.target_name},
                         {"status", c.pass ? "pass" : "fail"},
                         {"target_id", c.target_id},
                         {"http_status", c.http_status ? json(c.http_status) : json(nullptr)},
                         {"latency_ms", c.latency_ms},
                         {"error", c.error.empty() ? json(nullptr) : json(c.error)},
                         {"samples", c.samples},
                         {"malformed_lines", c.malformed_lines}});
        return out;
      });
  });

  add_identity_routes(r, s);
  add_billing_routes(r, s);
  add_saga_routes(r, s);
  add_gateway_routes(r, s);
}

} // namespace troupe::http
