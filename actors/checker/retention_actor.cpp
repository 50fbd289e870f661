#include "actors/checker/retention_actor.hpp"

#include <caf/all.hpp>

#include "persistence/checker_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/metrics.hpp"

namespace troupe::checker {
namespace {

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

caf::behavior retention(caf::event_based_actor* self, services s) {
  auto& cfg = s.config->checker;
  auto me = caf::actor_cast<caf::actor>(self);
  // Deletes one batch from `table`; a full batch means there is more.
  auto sweep = [=](const std::string& table) {
    s.pool->run<int>(
      [table, age = cfg.retention.count(), batch = cfg.retention_batch](pqxx::connection_base& c) -> caf::expected<int> {
        return persistence::checker_store::delete_expired(c, table, age, batch);
      },
      [me, table](caf::expected<int> n) { caf::anon_send(me, sweep_atom::value, table, n ? *n : 0); });
  };
  self->send(self, caf::tick_atom::value);
  return {
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.retention_interval, caf::tick_atom::value);
      sweep("checks");
      sweep("samples");
    },
    [=](sweep_atom, const std::string& table, int deleted) {
      s.metrics->retention_deleted.Add({{"table", table}}).Increment(deleted);
      if (deleted == cfg.retention_batch)
        sweep(table);
    },
  };
}

} // namespace

caf::actor spawn_retention(caf::actor_system& system, services s) {
  return system.spawn(retention, s);
}

} // namespace troupe::checker
