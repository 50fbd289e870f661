#include "actors/checker/result_writer.hpp"

#include <deque>

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
  std::shared_ptr<const batch> in_flight; // being written; owned here until done
  std::vector<caf::response_promise> waiting_for_flush;
  static inline const char* name = "result_writer";
};

std::size_t sample_count(const check_result& r) {
  return r.samples.size();
}

caf::behavior result_writer(caf::stateful_actor<writer_state>* self, services s) {
  auto& cfg = s.config->checker;
  self->system().registry().put(result_writer_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(result_writer_name); });

  auto flush = [=] {
    auto& st = self->state;
    if (st.in_flight || st.pending.empty())
      return;
    auto b = std::make_shared<batch>();
    std::size_t samples = 0;
    while (!st.pending.empty() && (b->empty() || samples + sample_count(st.pending.front()) <= cfg.batch_samples)) {
      samples += sample_count(st.pending.front());
      b->push_back(std::move(st.pending.front()));
      st.pending.pop_front();
    }
    st.pending_samples -= samples;
    st.in_flight = b;
    s.pool->run<std::size_t>(
      [b](pqxx::connection_base& c) -> caf::expected<std::size_t> {
        persistence::checker_store::write_results(c, *b);
        return b->size();
      },
      [me = caf::actor_cast<caf::actor>(self)](caf::expected<std::size_t> r) {
        caf::anon_send(me, done_atom::value, r ? caf::error{} : r.error());
      });
  };
  auto drained = [=] {
    auto& st = self->state;
    if (st.in_flight || !st.pending.empty())
      return;
    for (auto& p : st.waiting_for_flush)
      p.deliver(caf::unit);
    st.waiting_for_flush.clear();
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
      if (st.pending_samples >= cfg.batch_samples)
        flush();
    },
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.flush_interval, caf::tick_atom::value);
      flush();
    },
    [=](done_atom, const caf::error& err) {
      auto& st = self->state;
      auto b = std::move(st.in_flight);
      if (!err) {
        std::size_t samples = 0;
        for (auto& r : *b)
          samples += sample_count(r);
        s.metrics->checks_written.Increment(static_cast<double>(b->size()));
        s.metrics->samples_ingested.Increment(static_cast<double>(samples));
      } else if (is(err, errc::unavailable) || is(err, errc::overloaded)) {
        // Put the batch back in front, in order, to try again on a later tick.
        for (auto i = b->rbegin(); i != b->rend(); ++i) {
          st.pending_samples += sample_count(*i);
          st.pending.push_front(*i);
        }
        for (auto& p : st.waiting_for_flush)
          p.deliver(caf::unit);
        st.waiting_for_flush.clear();
        return;
      } else {
        spdlog::error("result writer: dropping a batch of {} checks: {}", b->size(), error_message(err));
        for (auto& r : *b)
          s.metrics->samples_dropped.Increment(static_cast<double>(sample_count(r)));
      }
      if (st.pending_samples >= cfg.batch_samples || !st.waiting_for_flush.empty())
        flush();
      drained();
    },
    [=](caf::flush_atom) -> caf::result<caf::unit_t> {
      auto promise = self->make_response_promise();
      self->state.waiting_for_flush.push_back(promise);
      flush();
      drained();
      return caf::delegated<caf::unit_t>{};
    },
  };
}

} // namespace

caf::actor spawn_result_writer(caf::actor_system& system, services s) {
  return system.spawn(result_writer, s);
}

} // namespace troupe::checker
