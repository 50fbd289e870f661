#include "actors/bridge/outbox_relay.hpp"

#include <memory>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/bridge/kafka_producer.hpp"
#include "persistence/notification_listener.hpp"
#include "persistence/outbox.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<troupe::persistence::outbox::batch>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::persistence::outbox::position)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::bridge::kafka_producer::report)

namespace troupe::bridge {
namespace {

using wake_atom = caf::atom_constant<caf::atom("wake")>;
using fetched_atom = caf::atom_constant<caf::atom("fetched")>;
using removed_atom = caf::atom_constant<caf::atom("removed")>;
using backlog_atom = caf::atom_constant<caf::atom("backlog")>;
using buried_atom = caf::atom_constant<caf::atom("buried")>;
using batch_ptr = std::shared_ptr<persistence::outbox::batch>;


struct relay_state {
  std::unique_ptr<kafka_producer> producer;
  std::unique_ptr<persistence::notification_listener> listener;
  std::set<std::int64_t> in_flight;     // handed to the producer, not yet removed from the outbox
  std::vector<std::int64_t> delivered;  // acknowledged, to remove
  std::vector<int> shards;              // held at the last fetch
  persistence::outbox::position cursor; // the last event handed to the producer
  bool fetching = false;
  bool removing = false;
  bool again = false; // a wake-up came during a fetch, or while the producer was full
  static inline const char* name = "outbox_relay";
};

caf::behavior outbox_relay(caf::stateful_actor<relay_state>* self, relay_services s) {
  auto& cfg = s.config->kafka;
  auto& m = *s.metrics;
  // Weak: the producer and listener live in this actor's state.
  auto weak = self->address();
  auto tell = [weak](auto... xs) {
    if (auto me = caf::actor_cast<caf::actor>(weak))
      caf::anon_send(me, xs...);
  };
  self->state.producer = std::make_unique<kafka_producer>(
    cfg, "troupe-" + s.config->node.name, [tell](kafka_producer::report r) { tell(std::move(r)); },
    [&m](bool up) { m.kafka_up.Set(up ? 1 : 0); });
  self->state.listener = std::make_unique<persistence::notification_listener>(
    s.config->postgres.dsn, "troupe_outbox", s.config->postgres.reconnect_interval,
    [tell] { tell(wake_atom::value); });

  // Reads the events after the cursor, unless a read is under way or the
  // producer holds as many as it may.
  auto fetch = [=] {
    auto& st = self->state;
    if (st.fetching || st.in_flight.size() >= cfg.relay_in_flight) {
      st.again = true;
      return;
    }
    st.fetching = true;
    s.pool->run<batch_ptr>(
      [inc = s.incarnation, shards = s.config->cluster.shards, after = st.cursor,
       limit = cfg.relay_batch](pqxx::connection_base& c) -> caf::expected<batch_ptr> {
        return std::make_shared<persistence::outbox::batch>(persistence::outbox::fetch(c, inc, shards, after, limit));
      },
      [tell, after = st.cursor](caf::expected<batch_ptr> b) {
        if (b)
          tell(fetched_atom::value, after, *b);
        else
          tell(fetched_atom::value, b.error());
      });
  };
  auto remove = [=] {
    auto& st = self->state;
    if (st.removing || st.delivered.empty())
      return;
    st.removing = true;
    auto ids = std::make_shared<std::vector<std::int64_t>>(std::move(st.delivered));
    st.delivered.clear();
    s.pool->run<bool>(
      [ids](pqxx::connection_base& c) -> caf::expected<bool> {
        persistence::outbox::remove(c, *ids);
        return true;
      },
      [tell, ids](caf::expected<bool> ok) { tell(removed_atom::value, *ids, ok ? caf::error{} : ok.error()); });
  };
  // Moves an event Kafka will never take to dead_letters; it counts as in
  // flight until then, so that no fetch offers it again meanwhile.
  auto bury = [=](std::int64_t id, const std::string& why) {
    spdlog::error("outbox: event {} refused by Kafka: {}; moving it to dead_letters", id, why);
    self->state.in_flight.insert(id);
    s.pool->run<bool>(
      [id, why](pqxx::connection_base& c) -> caf::expected<bool> {
        persistence::outbox::bury(c, id, why);
        return true;
      },
      [tell, id](caf::expected<bool> ok) { tell(buried_atom::value, id, ok ? caf::error{} : ok.error()); });
  };

  self->send(self, caf::tick_atom::value);
  return {
    [=](wake_atom) { fetch(); },
    // The fallback poll. With nothing in flight it reads from the start,
    // for what the cursor passed: events whose move to dead_letters failed.
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.relay_poll_interval, caf::tick_atom::value);
      auto& st = self->state;
      if (st.in_flight.empty() && !st.fetching)
        st.cursor = {};
      fetch();
      remove();
      s.pool->run<std::int64_t>(
        [](pqxx::connection_base& c) -> caf::expected<std::int64_t> { return persistence::outbox::backlog(c); },
        [tell](caf::expected<std::int64_t> n) {
          if (n)
            tell(backlog_atom::value, *n);
        });
    },
    [=](backlog_atom, std::int64_t n) { m.outbox_backlog.Set(static_cast<double>(n)); },
    [=](fetched_atom, const persistence::outbox::position& after, const batch_ptr& b) {
      auto& st = self->state;
      st.fetching = false;
      // Events of a shard just taken over may lie behind the cursor, and
      // must go out before that shard's newer ones: start again from the
      // beginning, skipping what is in flight.
      if (b->shards != st.shards) {
        st.shards = b->shards;
        if (!(after == persistence::outbox::position{})) {
          st.cursor = {};
          return fetch();
        }
      }
      auto prefix = cfg.topic_prefix + ".";
      std::string why;
      for (auto& e : b->events) {
        if (st.in_flight.count(e.at.id)) {
          st.cursor = e.at;
          continue;
        }
        auto outcome = st.producer->produce(prefix + e.topic, e.key, e.envelope, e.at.id, why);
        if (outcome == kafka_producer::outcome::full)
          break; // the rest comes with a later fetch
        st.cursor = e.at;
        if (outcome == kafka_producer::outcome::refused)
          bury(e.at.id, why);
        else
          st.in_flight.insert(e.at.id);
      }
      if (static_cast<int>(b->events.size()) == cfg.relay_batch || std::exchange(st.again, false))
        fetch();
    },
    [=](fetched_atom, const caf::error& e) {
      self->state.fetching = false;
      spdlog::debug("outbox: cannot read: {}", error_message(e));
    },
    [=](kafka_producer::report& r) {
      auto& st = self->state;
      if (r.fatal) {
        spdlog::error("outbox: the Kafka producer failed for good ({}): starting a new one", r.error);
        return self->quit(make_error(errc::unavailable, "kafka producer: " + r.error));
      }
      // Only errors no retry can fix reach here (message.timeout.ms is
      // infinite), such as a message over the broker's size limit.
      for (auto id : r.failed) {
        st.in_flight.erase(id);
        bury(id, r.error);
      }
      st.delivered.insert(st.delivered.end(), r.delivered.begin(), r.delivered.end());
      remove();
    },
    [=](buried_atom, std::int64_t id, const caf::error& err) {
      self->state.in_flight.erase(id);
      if (err)
        spdlog::warn("outbox: event {} not moved to dead_letters yet: {}", id, error_message(err));
      else
        m.outbox_dead_letters.Increment();
    },
    [=](removed_atom, const std::vector<std::int64_t>& ids, const caf::error& err) {
      auto& st = self->state;
      st.removing = false;
      if (err) {
        // Delivered but still in the outbox: they stay in flight (so they
        // are not sent again) until the delete gets through.
        spdlog::debug("outbox: cannot remove {} delivered events: {}", ids.size(), error_message(err));
        st.delivered.insert(st.delivered.end(), ids.begin(), ids.end());
        return;
      }
      for (auto id : ids)
        st.in_flight.erase(id);
      m.events_published.Increment(static_cast<double>(ids.size()));
      remove();
      if (std::exchange(st.again, false))
        fetch();
    },
  };
}

} // namespace

caf::actor spawn_outbox_relay(caf::actor_system& system, relay_services s) {
  // Detached: producing, and destroying the producer, may block.
  return system.spawn<caf::detached>(outbox_relay, s);
}

} // namespace troupe::bridge
