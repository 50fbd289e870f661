#include "http/idempotency_purge.hpp"

#include <caf/all.hpp>

#include "persistence/idempotency_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/metrics.hpp"

namespace troupe::http {
namespace {

using purged_atom = caf::atom_constant<caf::atom("purged")>;

caf::behavior purge(caf::event_based_actor* self, persistence::pg_pool* pool, metrics* m, const node_config* cfg) {
  auto me = caf::actor_cast<caf::actor>(self);
  auto batch = cfg->http.idempotency_purge_batch;
  auto sweep = [=] {
    pool->run<int>(
      [batch](pqxx::connection_base& c) -> caf::expected<int> {
        return persistence::idempotency_store::purge_expired(c, batch);
      },
      [me](caf::expected<int> n) { caf::anon_send(me, purged_atom::value, n ? *n : 0); });
  };
  self->send(self, caf::tick_atom::value);
  return {
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg->http.idempotency_purge_interval, caf::tick_atom::value);
      sweep();
    },
    [=](purged_atom, int deleted) {
      m->idempotency_purged.Increment(deleted);
      if (deleted == batch)
        sweep();
    },
  };
}

} // namespace

caf::actor spawn_idempotency_purge(caf::actor_system& system, persistence::pg_pool& pool, metrics& m,
                                   const node_config& cfg) {
  return system.spawn(purge, &pool, &m, &cfg);
}

} // namespace troupe::http
