#include "actors/checker/result_writer.hpp"

#include <deque>
#include <map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/checker/messages.hpp"
#include "persistence/checker_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"

namespace troupe::checker {
namespace {

using batch = std::vector<check_result>;

struct writer_state {
  std::deque<check_result> pending;
  std::size_t pending_samples = 0;
  // Batches being written, by number; owned here until their answer.
  std::map<std::uint64_t, std::shared_ptr<const batch>> in_flight;
  std::uint64_t next_batch = 0;
  std::vector<caf::response_promise> waiting_for_flush;
  static inline const char* name = "result_writer";
};

std::size_t sample_count(const check_result& r) {
  return r.samples.size();
}

caf::behavior result_writer(caf::stateful_actor<writer_state>* self, services s) {
  auto& cfg = s.config->checker;
  // One COPY keeps one PostgreSQL backend busy; several use its cores. One
  // worker stays free for everything else.
  auto max_in_flight = static_cast<std::size_t>(std::max(1, s.config->postgres.pool_size - 1));
  self->system().registry().put(result_writer_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(result_writer_name); });

  // Starts batches while there is room: full ones always, the last partial
  // one only when `partial` (a tick, or someone waiting for the flush).
  auto flush = [=](bool partial) {
    auto& st = self->state;
    while (st.in_flight.size() < max_in_flight && !st.pending.empty() &&
           (partial || st.pending_samples >= cfg.batch_samples)) {
      auto b = std::make_shared<batch>();
      std::size_t samples = 0;
      while (!st.pending.empty() &&
             (b->empty() || samples + sample_count(st.pending.front()) <= cfg.batch_samples)) {
        samples += sample_count(st.pending.front());
        b->push_back(std::move(st.pending.front()));
        st.pending.pop_front();
      }
      st.pending_samples -= samples;
      auto id = st.next_batch++;
      st.in_flight.emplace(id, b);
      s.pool->run<persistence::checker_store::written>(
        [b, owner = s.config->node.name, inc = s.incarnation, publish = s.publishes_events()](pqxx::connection_base& c)
          -> caf::expected<persistence::checker_store::written> {
          return persistence::checker_store::write_results(c, *b, owner, inc, publish);
        },
        [me = caf::actor_cast<caf::actor>(self), id](caf::expected<persistence::checker_store::written> w) {
          if (w)
            caf::anon_send(me, done_atom::value, id, w->checks, w->samples);
          else
            caf::anon_send(me, done_atom::value, id, w.error());
        });
    }
  };
  auto answer_waiting = [=] {
    for (auto& p : self->state.waiting_for_flush)
      p.deliver(caf::unit);
    self->state.waiting_for_flush.clear();
  };
  // After a batch: start the next ones, and tell whoever waits for the
  // flush when nothing is left.
  auto go_on = [=] {
    auto& st = self->state;
    flush(!st.waiting_for_flush.empty());
    if (st.in_flight.empty() && st.pending.empty())
      answer_waiting();
  };
  self->delayed_send(self, cfg.flush_interval, caf::tick_atom::value);
  return {
    [=](check_result& r) {
      auto& st = self->state;
      st.pending_samples += sample_count(r);
      st.pending.push_back(std::move(r));
      while (st.pending_samples > cfg.buffer_limit && st.pending.size() > 1) {
        auto dropped = sample_count(st.pending.front());
        st.pending_samples -= dropped;
        s.metrics->samples_dropped.Increment(static_cast<double>(dropped));
        st.pending.pop_front();
      }
      flush(false);
    },
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.flush_interval, caf::tick_atom::value);
      flush(true);
    },
    [=](done_atom, std::uint64_t id, std::size_t checks, std::size_t samples) {
      auto b = self->state.in_flight.at(id);
      self->state.in_flight.erase(id);
      if (auto fenced = b->size() - checks; fenced > 0) {
        spdlog::warn("result writer: {} checks refused, made under shard leases this node lost", fenced);
        s.metrics->checks_fenced.Increment(static_cast<double>(fenced));
      }
      s.metrics->checks_written.Increment(static_cast<double>(checks));
      s.metrics->samples_ingested.Increment(static_cast<double>(samples));
      go_on();
    },
    [=](done_atom, std::uint64_t id, const caf::error& err) {
      auto& st = self->state;
      auto b = st.in_flight.at(id);
      st.in_flight.erase(id);
      if (is(err, errc::unavailable) || is(err, errc::overloaded)) {
        // Put the batch back in front, to try again on a later tick; whoever
        // waits for a flush hears now rather than after the outage.
        for (auto r = b->rbegin(); r != b->rend(); ++r) {
          st.pending_samples += sample_count(*r);
          st.pending.push_front(*r);
        }
        answer_waiting();
        return;
      }
      spdlog::error("result writer: dropping a batch of {} checks: {}", b->size(), error_message(err));
      for (auto& r : *b)
        s.metrics->samples_dropped.Increment(static_cast<double>(sample_count(r)));
      go_on();
    },
    [=](caf::flush_atom) -> caf::result<caf::unit_t> {
      auto& st = self->state;
      if (st.in_flight.empty() && st.pending.empty())
        return caf::unit;
      st.waiting_for_flush.push_back(self->make_response_promise());
      flush(true);
      return caf::delegated<caf::unit_t>{};
    },
  };
}

} // namespace

caf::actor spawn_result_writer(caf::actor_system& system, services s) {
  return system.spawn(result_writer, s);
}

} // namespace troupe::checker
