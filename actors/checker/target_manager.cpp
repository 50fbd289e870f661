#include "actors/checker/target_manager.hpp"

#include <limits>
#include <set>
#include <map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/checker/checker_actor.hpp"
#include "actors/checker/target_spec.hpp"
#include "persistence/checker_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"
#include "runtime/supervisor.hpp"
#include "topology/messages.hpp"
#include "topology/placement.hpp"
#include "topology/shard_region.hpp"

namespace troupe::checker {
namespace {

using load_atom = caf::atom_constant<caf::atom("load")>;
using reconcile_atom = caf::atom_constant<caf::atom("reconcile")>;
using clock = std::chrono::steady_clock;

using manager_impl = target_manager_actor::extend<
  caf::reacts_to<load_atom>, caf::reacts_to<caf::tick_atom>,
  caf::reacts_to<reconcile_atom, clock::rep, std::vector<target>>,
  caf::reacts_to<apply_atom, target, bool>,
  caf::replies_to<topology::assign_atom, topology::shard_epochs>::with<caf::unit_t>>;

struct applied_version {
  std::int64_t version;
  clock::time_point at;
};

struct manager_state {
  caf::actor checkers;
  topology::shard_epochs owned; // the shards whose checkers run here
  // The newest version applied per target of an owned shard, and when;
  // database answers may arrive out of order, and a stale one must not
  // undo a fresh one.
  std::map<std::int64_t, applied_version> applied;
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
  auto shards = s.config->cluster.shards;
  auto shard_of = [shards](std::int64_t id) { return topology::shard_of(static_cast<std::uint64_t>(id), shards); };
  auto publish = s.publishes_events();

  // Starts or stops the checker of `t` to match the database, if its shard
  // is held here and no newer version was applied already. `deleted` stops
  // it for good. `at_once`: the target is overdue (its shard was just taken).
  auto apply = [=](const target& t, bool deleted, bool at_once) {
    auto& st = self->state;
    auto held = st.owned.find(shard_of(t.id));
    if (held == st.owned.end())
      return;
    auto& last = st.applied[t.id];
    if (last.version >= t.version && !deleted)
      return;
    last = {deleted ? deleted_version : t.version, clock::now()};
    auto name = std::to_string(t.id);
    if (deleted || t.paused)
      return caf::anon_send(st.checkers, stop_atom::value, name);
    lease l{held->first, held->second};
    caf::anon_send(st.checkers, start_atom::value,
                   child_spec{name, [=](caf::actor_system& sys) { return spawn_checker(sys, t, l, at_once, s); }});
  };
  // Reads every target and makes the checkers of the owned shards match.
  // Changes reach the owner as messages; this also catches any that went to
  // a node that had just lost the shard. A target not running here yet is
  // overdue (its shard was just taken, or its message was lost): it is
  // scraped at once.
  auto reconcile = [=] {
    s.pool->run<std::vector<target>>(
      [](pqxx::connection_base& c) -> caf::expected<std::vector<target>> {
        return persistence::checker_store::list_targets(c);
      },
      [me, began = clock::now().time_since_epoch().count()](caf::expected<std::vector<target>> ts) {
        if (ts)
          caf::anon_send(me, reconcile_atom::value, began, std::move(*ts));
        else
          spdlog::warn("target manager: cannot read targets: {}", error_message(ts.error()));
      });
  };
  // The database answer to a change made here goes to the target's owner,
  // wherever it runs; the client hears once the database has it.
  auto route = [=](const target& t, bool deleted) {
    if (auto region = self->system().registry().get(topology::shard_region_name))
      caf::anon_send(caf::actor_cast<caf::actor>(region), topology::route_atom::value, target_manager_name,
                     static_cast<std::uint64_t>(t.id), caf::make_message(apply_atom::value, t, deleted));
  };
  auto change = [=](auto f) {
    auto promise = self->make_response_promise<target>();
    s.pool->run<target>(std::move(f), [route, promise](caf::expected<target> t) mutable {
      if (t) {
        route(*t, false);
        promise.deliver(*t);
      } else {
        promise.deliver(t.error());
      }
    });
    return promise;
  };

  self->send(self, load_atom::value);
  self->delayed_send(self, s.config->checker.reconcile_interval, caf::tick_atom::value);
  return {
    // At start: store the config's targets (until PostgreSQL answers),
    // then run what is owned.
    [=](load_atom) {
      s.pool->run<std::vector<target>>(
        [from_config, publish](pqxx::connection_base& c) -> caf::expected<std::vector<target>> {
          return persistence::checker_store::sync_and_list(c, from_config, publish);
        },
        [me, began = clock::now().time_since_epoch().count(),
         retry = s.config->postgres.reconnect_interval](caf::expected<std::vector<target>> ts) {
          if (ts)
            return caf::anon_send(me, reconcile_atom::value, began, std::move(*ts));
          caf::delayed_anon_send(me, retry, load_atom::value);
        });
    },
    [=](caf::tick_atom) {
      self->delayed_send(self, s.config->checker.reconcile_interval, caf::tick_atom::value);
      reconcile();
    },
    [=](reconcile_atom, clock::rep began, const std::vector<target>& ts) {
      auto& st = self->state;
      std::set<std::int64_t> listed;
      for (auto& t : ts) {
        listed.insert(t.id);
        apply(t, false, !st.applied.count(t.id));
      }
      // Gone from the database, though applied before it was read: deleted.
      for (auto& [id, last] : st.applied)
        if (!listed.count(id) && last.version != deleted_version && last.at.time_since_epoch().count() < began) {
          target gone;
          gone.id = id;
          apply(gone, true, false);
        }
    },
    [=](apply_atom, const target& t, bool deleted) { apply(t, deleted, false); },
    // The shard keeper's word on which shards run here. Checkers of shards
    // lost (or held under a new epoch) stop, and their last results are
    // written, before the answer: only then may the lease go to another
    // node. Those of shards taken start once their targets are read.
    [=](topology::assign_atom, const topology::shard_epochs& owned) -> caf::result<caf::unit_t> {
      auto& st = self->state;
      bool taken = false, lost = false;
      for (auto& [shard, epoch] : owned)
        taken = taken || !st.owned.count(shard) || st.owned.at(shard) != epoch;
      for (auto i = st.applied.begin(); i != st.applied.end();) {
        auto shard = shard_of(i->first);
        auto next = owned.find(shard);
        if (next != owned.end() && st.owned.count(shard) && st.owned.at(shard) == next->second) {
          ++i;
          continue;
        }
        caf::anon_send(st.checkers, stop_atom::value, std::to_string(i->first));
        i = st.applied.erase(i);
        lost = true;
      }
      st.owned = owned;
      if (taken)
        reconcile();
      auto writer = self->system().registry().get(result_writer_name);
      if (!lost || !writer)
        return caf::unit;
      auto promise = self->make_response_promise<caf::unit_t>();
      self->request(caf::actor_cast<caf::actor>(writer), s.config->http.request_timeout, caf::flush_atom::value)
        .then([=]() mutable { promise.deliver(caf::unit); },
              [=](caf::error&) mutable { promise.deliver(caf::unit); });
      return promise;
    },
    [=](caf::add_atom, const target_spec& spec) -> caf::result<target> {
      if (auto err = validate(spec))
        return err;
      return change([spec, publish](pqxx::connection_base& c) {
        return persistence::checker_store::insert_target(c, spec, publish);
      });
    },
    [=](caf::delete_atom, std::int64_t id) -> caf::result<bool> {
      auto promise = self->make_response_promise<bool>();
      s.pool->run<bool>(
        [id, publish](pqxx::connection_base& c) -> caf::expected<bool> {
          if (!persistence::checker_store::delete_target(c, id, publish))
            return make_error(errc::not_found, "no target with id " + std::to_string(id));
          return true;
        },
        [route, promise, id](caf::expected<bool> ok) mutable {
          if (!ok) {
            promise.deliver(ok.error());
            return;
          }
          target gone;
          gone.id = id;
          route(gone, true);
          promise.deliver(true);
        });
      return promise;
    },
    [=](pause_atom, std::int64_t id) -> caf::result<target> {
      return change([id, publish](pqxx::connection_base& c) {
        return persistence::checker_store::set_paused(c, id, true, publish);
      });
    },
    [=](resume_atom, std::int64_t id) -> caf::result<target> {
      return change([id, publish](pqxx::connection_base& c) {
        return persistence::checker_store::set_paused(c, id, false, publish);
      });
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
