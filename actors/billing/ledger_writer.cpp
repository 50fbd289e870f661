#include "actors/billing/ledger_writer.hpp"

#include <deque>

#include <caf/all.hpp>
#include <pqxx/except>
#include <spdlog/spdlog.h>

#include "persistence/pg_pool.hpp"
#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"

namespace troupe::billing {
namespace {

namespace store = persistence::ledger_store;

struct waiting {
  store::entry e;
  caf::response_promise reply;
};

struct writer_state {
  std::deque<waiting> queue;
  int in_flight = 0;
  static inline const char* name = "ledger_writer";
};

using results = std::vector<caf::expected<store::outcome>>;

// The batch in one transaction; if it cannot commit as a whole, each entry
// alone, so that one bad entry fails only itself.
results commit_or_split(pqxx::connection_base& c, const std::vector<store::entry>& batch, std::int64_t incarnation) {
  try {
    auto all = store::commit(c, batch, incarnation);
    return results(all.begin(), all.end());
  } catch (const pqxx::broken_connection&) {
    throw; // the pool reports the outage
  } catch (const std::exception& e) {
    if (batch.size() == 1)
      return {make_error(errc::internal, std::string("ledger commit failed: ") + e.what())};
  }
  results out;
  for (auto& e : batch) {
    auto one = commit_or_split(c, {e}, incarnation);
    out.push_back(std::move(one.front()));
  }
  return out;
}

caf::behavior ledger_writer(caf::stateful_actor<writer_state>* self, services s) {
  self->system().registry().put(ledger_writer_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(ledger_writer_name); });
  auto& cfg = s.config->postgres;
  auto start = [=] {
    auto& st = self->state;
    while (st.in_flight < cfg.group_commits_in_flight && !st.queue.empty()) {
      auto n = std::min(st.queue.size(), cfg.group_commit_limit);
      std::vector<store::entry> batch;
      auto replies = std::make_shared<std::vector<caf::response_promise>>();
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(st.queue.front().e));
        replies->push_back(std::move(st.queue.front().reply));
        st.queue.pop_front();
      }
      ++st.in_flight;
      s.metrics->ledger_batch_size.Observe(static_cast<double>(n));
      s.pool->run<results>(
        [batch = std::move(batch), inc = s.incarnation](pqxx::connection_base& c) -> caf::expected<results> {
          return commit_or_split(c, batch, inc);
        },
        [replies, me = caf::actor_cast<caf::actor>(self)](caf::expected<results> r) {
          for (std::size_t i = 0; i < replies->size(); ++i) {
            if (!r)
              (*replies)[i].deliver(r.error());
            else if ((*r)[i])
              (*replies)[i].deliver(*(*r)[i]);
            else
              (*replies)[i].deliver((*r)[i].error());
          }
          caf::anon_send(me, done_atom::value);
        });
    }
  };
  return {
    [=](commit_atom, store::entry& e) -> caf::result<store::outcome> {
      self->state.queue.push_back({std::move(e), self->make_response_promise()});
      start();
      return caf::delegated<store::outcome>{};
    },
    [=](done_atom) {
      --self->state.in_flight;
      start();
    },
  };
}

} // namespace

caf::actor spawn_ledger_writer(caf::actor_system& system, services s) {
  return system.spawn(ledger_writer, s);
}

} // namespace troupe::billing
