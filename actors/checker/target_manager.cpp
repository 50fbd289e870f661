#include "actors/checker/target_manager.hpp"

#include <limits>
#include <map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/checker/checker_actor.hpp"
#include "actors/checker/target_spec.hpp"
#include "persistence/checker_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"
#include "runtime/supervisor.hpp"

namespace troupe::checker {
namespace {

using load_atom = caf::atom_constant<caf::atom("load")>;
using apply_atom = caf::atom_constant<caf::atom("apply")>;

using manager_impl = target_manager_actor::extend<caf::reacts_to<load_atom>,
                                                  caf::reacts_to<load_atom, std::vector<target>>,
                                                  caf::reacts_to<apply_atom, target, bool>>;

struct manager_state {
  caf::actor checkers;
  // The newest version applied per target; database answers may arrive out
  // of order, and a stale one must not undo a fresh one.
  std::map<std::int64_t, std::int64_t> applied;
  static inline const char* name = "target_manager";
};

constexpr auto deleted_version = std::numeric_limits<std::int64_t>::max();

manager_impl::behavior_type target_manager(manager_impl::stateful_pointer<manager_state> self, services s,
                                           std::vector<target_spec> from_config) {
  self->state.checkers = spawn_supervisor(self->system(), "checkers", s.config->node.supervision, s.metrics);
  self->link_to(self->state.checkers);
  auto me = caf::actor_cast<caf::actor>(self);
  self->system().registry().put(target_manager_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(target_manager_name); });

  // Starts or stops the checker of `t` to match the database, unless a newer
  // version was applied already. `deleted` stops it for good.
  auto apply = [=](const target& t, bool deleted) {
    auto& last = self->state.applied[t.id];
    if (last >= t.version && !deleted)
      return;
    last = deleted ? deleted_version : t.version;
    auto name = std::to_string(t.id);
    if (deleted || t.paused)
      caf::anon_send(self->state.checkers, stop_atom::value, name);
    else
      caf::anon_send(self->state.checkers, start_atom::value,
                     child_spec{name, [t, s](caf::actor_system& sys) { return spawn_checker(sys, t, s); }});
  };
  // Runs `f` on the pool; on success has the manager apply the target and
  // answers the client with it, otherwise answers with the error.
  auto change = [=](auto f) {
    auto promise = self->make_response_promise<target>();
    s.pool->run<target>(std::move(f), [me, promise](caf::expected<target> t) mutable {
      if (t) {
        caf::anon_send(me, apply_atom::value, *t, false);
        promise.deliver(*t);
      } else {
        promise.deliver(t.error());
      }
    });
    return promise;
  };

  self->send(self, load_atom::value);
  return {
    [=](load_atom) {
      s.pool->run<std::vector<target>>(
        [from_config](pqxx::connection_base& c) -> caf::expected<std::vector<target>> {
          return persistence::checker_store::sync_and_list(c, from_config);
        },
        [=](caf::expected<std::vector<target>> ts) {
          if (ts)
            return caf::anon_send(me, load_atom::value, std::move(*ts));
          caf::delayed_anon_send(me, s.config->postgres.reconnect_interval, load_atom::value);
        });
    },
    [=](load_atom, const std::vector<target>& ts) {
      spdlog::info("target manager: {} targets loaded", ts.size());
      for (auto& t : ts)
        apply(t, false);
    },
    [=](apply_atom, const target& t, bool deleted) { apply(t, deleted); },
    [=](caf::add_atom, const target_spec& spec) -> caf::result<target> {
      if (auto err = validate(spec))
        return err;
      return change([spec](pqxx::connection_base& c) { return persistence::checker_store::insert_target(c, spec); });
    },
    [=](caf::delete_atom, std::int64_t id) -> caf::result<bool> {
      auto promise = self->make_response_promise<bool>();
      s.pool->run<bool>(
        [id](pqxx::connection_base& c) -> caf::expected<bool> {
          if (!persistence::checker_store::delete_target(c, id))
            return make_error(errc::not_found, "no target with id " + std::to_string(id));
          return true;
        },
        [me, promise, id](caf::expected<bool> ok) mutable {
          if (!ok) {
            promise.deliver(ok.error());
            return;
          }
          target gone;
          gone.id = id;
          caf::anon_send(me, apply_atom::value, gone, true);
          promise.deliver(true);
        });
      return promise;
    },
    [=](pause_atom, std::int64_t id) -> caf::result<target> {
      return change([id](pqxx::connection_base& c) { return persistence::checker_store::set_paused(c, id, true); });
    },
    [=](resume_atom, std::int64_t id) -> caf::result<target> {
      return change([id](pqxx::connection_base& c) { return persistence::checker_store::set_paused(c, id, false); });
    },
  };
}

} // namespace

target_manager_actor spawn_target_manager(caf::actor_system& system, services s) {
  std::vector<target_spec> from_config;
  for (auto& entry : s.config->checker.targets)
    if (auto spec = parse_target_entry(entry, *s.config))
      from_config.push_back(*spec);
  return caf::actor_cast<target_manager_actor>(system.spawn(target_manager, s, std::move(from_config)));
}

} // namespace troupe::checker
