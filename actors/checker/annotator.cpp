#include "actors/checker/annotator.hpp"

#include <charconv>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/bridge/messages.hpp"
#include "persistence/checker_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"
#include "topology/placement.hpp"

namespace troupe::checker {
namespace {

constexpr std::size_t max_text = 10'000;

caf::error invalid(const std::string& what) {
  return make_error(errc::invalid_argument, what);
}

// annotation.added: key = the target's id, data {"text": ..., "tags": [...]}.
caf::expected<persistence::checker_store::annotation> parse(const std::string& key, const std::string& event_id,
                                                            const std::string& type, const std::string& occurred_at,
                                                            const std::string& data) {
  if (type != "annotation.added")
    return invalid("type: unknown event type '" + type + "'");
  persistence::checker_store::annotation a;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), a.target_id);
  if (ec != std::errc{} || end != key.data() + key.size() || a.target_id <= 0)
    return invalid("key: expected a target id, got '" + key + "'");
  auto j = nlohmann::json::parse(data, nullptr, false);
  if (!j.is_object() || !j.contains("text") || !j["text"].is_string() || j["text"].get<std::string>().empty())
    return invalid("data.text: expected a non-empty string");
  a.text = j["text"].get<std::string>();
  if (a.text.size() > max_text)
    return invalid("data.text: longer than " + std::to_string(max_text) + " bytes");
  auto tags = j.value("tags", nlohmann::json::array());
  if (!tags.is_array() || !std::all_of(tags.begin(), tags.end(), [](auto& t) { return t.is_string(); }))
    return invalid("data.tags: expected a list of strings");
  a.tags_json = tags.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  a.event_id = event_id;
  a.occurred_at = occurred_at;
  return a;
}

caf::behavior annotator(caf::event_based_actor* self, services s) {
  self->system().registry().put(annotator_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(annotator_name); });
  return {
    [=](bridge::consume_atom, const std::string& subscription, const std::string& key, const std::string& event_id,
        const std::string& type, const std::string& occurred_at, const std::string& data) -> caf::result<bool> {
      auto a = parse(key, event_id, type, occurred_at, data);
      if (!a)
        return a.error();
      auto shard = topology::shard_of(static_cast<std::uint64_t>(a->target_id), s.config->cluster.shards);
      auto promise = self->make_response_promise<bool>();
      s.pool->run<bool>(
        [a = *a, subscription, shard, inc = s.incarnation](pqxx::connection_base& c) {
          return persistence::checker_store::add_annotation(c, a, subscription, shard, inc);
        },
        [promise](caf::expected<bool> applied) mutable {
          if (applied)
            promise.deliver(*applied);
          else
            promise.deliver(applied.error());
        });
      return promise;
    },
  };
}

} // namespace

caf::actor spawn_annotator(caf::actor_system& system, services s) {
  return system.spawn(annotator, s);
}

} // namespace troupe::checker
