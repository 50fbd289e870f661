#include "actors/bridge/subscription_consumer.hpp"

#include <charconv>
#include <map>
#include <memory>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/bridge/envelope.hpp"
#include "actors/bridge/kafka_consumer.hpp"
#include "actors/bridge/messages.hpp"
#include "persistence/dead_letters.hpp"
#include "persistence/outbox.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/messages.hpp"
#include "topology/shard_region.hpp"

namespace troupe::bridge {
namespace {

using message_ptr = std::shared_ptr<const kafka_consumer::message>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using buried_atom = caf::atom_constant<caf::atom("buried")>;

} // namespace
} // namespace troupe::bridge

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<troupe::bridge::kafka_consumer::message>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::bridge::message_ptr)

namespace troupe::bridge {
namespace {

// Where the region sends a key: a decimal entity id by its value, as the
// entities themselves are placed; any other key by its hash.
std::uint64_t routing_key(const std::string& key) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), v);
  if (ec == std::errc{} && end == key.data() + key.size())
    return v;
  return static_cast<std::uint64_t>(persistence::outbox::key_hash(key));
}

struct consumer_state {
  std::unique_ptr<kafka_consumer> consumer;
  // Offsets handed out per partition, and whether each is finished; the
  // finished prefix is committed.
  std::map<int, std::map<std::int64_t, bool>> pending;
  std::minstd_rand jitter{std::random_device{}()};
  static inline const char* name = "subscription_consumer";
};

caf::behavior subscription_consumer(caf::stateful_actor<consumer_state>* self, consumer_services s,
                                    subscription sub) {
  auto& cfg = s.config->kafka;
  auto topic = cfg.topic_prefix + "." + sub.topic;
  auto weak = self->address();
  self->state.consumer = std::make_unique<kafka_consumer>(
    cfg, cfg.topic_prefix + "." + sub.name, topic, "troupe-" + s.config->node.name,
    [weak](std::vector<kafka_consumer::message> batch) {
      if (auto me = caf::actor_cast<caf::actor>(weak))
        caf::anon_send(me, std::move(batch));
    });
  auto outcomes = [&m = *s.metrics, name = sub.name](const std::string& outcome) -> prometheus::Counter& {
    return m.events_consumed.Add({{"subscription", name}, {"outcome", outcome}});
  };

  auto finish = [=](const kafka_consumer::message& m, const std::string& outcome) {
    auto& st = self->state;
    outcomes(outcome).Increment();
    st.consumer->done(1);
    auto& offsets = st.pending[m.partition];
    offsets[m.offset] = true;
    std::int64_t next = -1;
    while (!offsets.empty() && offsets.begin()->second) {
      next = offsets.begin()->first + 1;
      offsets.erase(offsets.begin());
    }
    if (next >= 0)
      st.consumer->commit(topic, m.partition, next);
  };
  auto backoff = [=](int attempt) {
    auto ms = std::min<long long>(5'000, 100LL << std::min(attempt, 6));
    return milliseconds{ms / 2 + static_cast<long long>(self->state.jitter() % (ms / 2 + 1))};
  };
  auto bury = [=](message_ptr m, const std::string& why) {
    s.pool->run<bool>(
      [m, why, topic](pqxx::connection_base& c) -> caf::expected<bool> {
        persistence::dead_letters::add(c, {topic, m->partition, m->offset, m->key, m->payload, why});
        return true;
      },
      [weak, m, why](caf::expected<bool> ok) {
        if (auto me = caf::actor_cast<caf::actor>(weak))
          caf::anon_send(me, buried_atom::value, m, why, ok ? caf::error{} : ok.error());
      });
  };
  auto handle = [=](message_ptr m, int attempt) {
    auto e = parse_envelope(m->payload);
    if (!e)
      return bury(m, error_message(e.error()));
    auto region = self->system().registry().get(topology::shard_region_name);
    auto retry = [=](const caf::error& err) {
      spdlog::debug("subscription {}: {}/{}@{} not handled yet: {}", sub.name, topic, m->partition, m->offset,
                    error_message(err));
      outcomes("retried").Increment();
      self->delayed_send(self, backoff(attempt), retry_atom::value, m, attempt + 1);
    };
    if (!region)
      return retry(make_error(errc::unavailable, "no shard region"));
    self
      ->request(caf::actor_cast<caf::actor>(region), cfg.handler_timeout, topology::route_atom::value, sub.host,
                routing_key(m->key),
                caf::make_message(consume_atom::value, sub.name, m->key, e->id, e->type, e->occurred_at, e->data))
      .then([=](bool applied) { finish(*m, applied ? "applied" : "duplicate"); },
            [=](caf::error& err) {
              if (is(err, errc::invalid_argument) || is(err, errc::not_found))
                bury(m, error_message(err));
              else
                retry(err);
            });
  };

  return {
    [=](std::vector<kafka_consumer::message>& batch) {
      auto& st = self->state;
      for (auto& m : batch) {
        // Redelivered after a rebalance while the first copy is in hand.
        if (st.pending[m.partition].count(m.offset)) {
          st.consumer->done(1);
          continue;
        }
        st.pending[m.partition][m.offset] = false;
        handle(std::make_shared<const kafka_consumer::message>(std::move(m)), 0);
      }
    },
    [=](retry_atom, const message_ptr& m, int attempt) { handle(m, attempt); },
    [=](buried_atom, const message_ptr& m, const std::string& why, const caf::error& err) {
      if (err) {
        spdlog::warn("subscription {}: cannot park {}/{}@{} in dead_letters: {}", sub.name, topic, m->partition,
                     m->offset, error_message(err));
        self->delayed_send(self, backoff(3), retry_atom::value, m, 3);
        return;
      }
      spdlog::warn("subscription {}: {}/{}@{} parked in dead_letters: {}", sub.name, topic, m->partition, m->offset,
                   why);
      finish(*m, "dead_letter");
    },
  };
}

} // namespace

caf::actor spawn_subscription_consumer(caf::actor_system& system, consumer_services s, subscription sub) {
  // Detached: leaving the group on exit blocks.
  return system.spawn<caf::detached>(subscription_consumer, s, std::move(sub));
}

} // namespace troupe::bridge
