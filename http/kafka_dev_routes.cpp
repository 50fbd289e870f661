#include "http/kafka_dev_routes.hpp"

#include <charconv>

#include "actors/bridge/dev_cluster.hpp"
#include "http/error_mapping.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"

namespace troupe::http {
namespace {

using json = nlohmann::json;

std::optional<int> path_int(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

response invalid(const std::string& message) {
  return error_response(400, "invalid_argument", message);
}

response state(const bridge::dev_cluster& c) {
  auto brokers = json::array();
  for (auto& b : c.brokers())
    brokers.push_back({{"id", b.id}, {"state", b.down ? "down" : "up"}, {"rtt_ms", b.rtt_ms}});
  return json_response(200, {{"bootstrap", c.bootstrap()}, {"brokers", brokers}});
}

// Parses the body, then hands the object to `f`, which answers.
template <class F>
handler with_body(F f) {
  return [f](const request& req, respond_fn respond) {
    auto body = parse_object(req.body);
    if (!body)
      return respond(from_error(body.error()));
    respond(f(req, *body));
  };
}

// An int field of `body`, at least `min`.
std::optional<int> field(const json& body, const char* name, int min) {
  auto i = body.find(name);
  if (i == body.end() || !i->is_number_integer() || i->get<long long>() < min || i->get<long long>() > 1'000'000)
    return std::nullopt;
  return i->get<int>();
}

} // namespace

void add_kafka_dev_routes(router& r, bridge::dev_cluster& c) {
  r.add("GET", "/", [&c](const request&, respond_fn respond) { respond(state(c)); });

  for (auto down : {true, false})
    r.add("POST", down ? "/brokers/{id}/down" : "/brokers/{id}/up", [&c, down](const request& req, respond_fn respond) {
      auto id = path_int(req.params[0]);
      if (!id)
        return respond(invalid("broker: expected an integer id"));
      auto err = c.set_down(*id, down);
      respond(err ? error_response(404, "not_found", *err) : state(c));
    });

  r.add("PUT", "/brokers/{id}/rtt", with_body([&c](const request& req, const json& body) {
          auto id = path_int(req.params[0]);
          auto ms = field(body, "ms", 0);
          if (!id || !ms)
            return invalid("expected /brokers/<id>/rtt with {\"ms\": <integer >= 0>}");
          auto err = c.set_rtt(*id, *ms);
          return err ? error_response(404, "not_found", *err) : state(c);
        }));

  // {"request": "Produce" | 0, "errors": ["NOT_LEADER_FOR_PARTITION" | 6, ...]}
  r.add("POST", "/errors", with_body([&c](const request&, const json& body) {
          auto request = body.value("request", json{});
          auto api_key = bridge::api_key_of(request.is_string() ? request.get<std::string>() : request.dump());
          if (api_key < 0)
            return invalid("request: expected a Kafka request type, like \"Produce\" or 0");
          auto errors = body.value("errors", json{});
          if (!errors.is_array() || errors.empty())
            return invalid("errors: expected a non-empty list of Kafka error codes");
          std::vector<int> codes;
          for (auto& e : errors) {
            auto code = bridge::error_code_of(e.is_string() ? e.get<std::string>() : e.dump());
            if (!code)
              return invalid("errors: unknown Kafka error " + e.dump());
            codes.push_back(*code);
          }
          c.push_request_errors(api_key, codes);
          return json_response(200, {{"request", api_key}, {"queued", codes.size()}});
        }));

  r.add("DELETE", "/errors/{request}", [&c](const request& req, respond_fn respond) {
    auto api_key = bridge::api_key_of(req.params[0]);
    if (api_key < 0)
      return respond(invalid("request: expected a Kafka request type, like Produce or 0"));
    c.clear_request_errors(api_key);
    respond(json_response(200, {{"request", api_key}, {"queued", 0}}));
  });

  // {"name": "t", "partitions": 4, "replication": 1}
  r.add("POST", "/topics", with_body([&c](const request&, const json& body) {
          auto name = body.value("name", json{});
          auto partitions = body.contains("partitions") ? field(body, "partitions", 1) : 4;
          auto replication = body.contains("replication") ? field(body, "replication", 1) : 1;
          if (!name.is_string() || name.get<std::string>().empty() || !partitions || !replication)
            return invalid("expected {\"name\": <text>, \"partitions\": <integer >= 1>, \"replication\": <integer >= 1>}");
          if (*replication > static_cast<int>(c.brokers().size()))
            return invalid("replication: at most the number of brokers, " + std::to_string(c.brokers().size()));
          if (auto err = c.create_topic(name.get<std::string>(), *partitions, *replication))
            return error_response(409, "conflict", *err);
          return json_response(201, {{"name", name}, {"partitions", *partitions}, {"replication", *replication}});
        }));

  r.add("PUT", "/topics/{name}/partitions/{partition}/leader",
        with_body([&c](const request& req, const json& body) {
          auto partition = path_int(req.params[1]);
          auto broker = field(body, "broker", 1);
          if (!partition || !broker)
            return invalid("expected /topics/<name>/partitions/<n>/leader with {\"broker\": <id>}");
          if (auto err = c.set_leader(req.params[0], *partition, *broker))
            return error_response(404, "not_found", *err);
          return json_response(200, {{"topic", req.params[0]}, {"partition", *partition}, {"leader", *broker}});
        }));
}

} // namespace troupe::http
