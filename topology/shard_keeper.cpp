#include "topology/shard_keeper.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "persistence/pg_pool.hpp"
#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/messages.hpp"
#include "topology/node_agent.hpp"
#include "topology/placement.hpp"
#include "topology/shard_region.hpp"

namespace troupe::topology {
namespace {

using lease_row = persistence::lease_store::lease_row;
using leases_atom = caf::atom_constant<caf::atom("leases")>;

struct keeper_state {
  membership view;
  std::vector<lease_row> rows;
  shard_epochs owned;    // as the last tick read them
  shard_epochs assigned; // what every host has acknowledged running
  std::vector<caf::actor_addr> assigned_to; // the hosts those acknowledgements came from
  bool assigning = false;
  bool ticking = false;
  bool tick_again = false;
  bool rows_created = false;
  caf::response_promise stopping;
  static inline const char* name = "shard_keeper";
};

caf::behavior shard_keeper(caf::stateful_actor<keeper_state>* self, keeper_services s) {
  auto& cfg = s.config->cluster;
  auto& me = s.config->node.name;
  self->state.view.settled = !s.clustered;
  self->system().registry().put(shard_keeper_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(shard_keeper_name); });

  auto members = [=] {
    std::vector<std::string> names{me};
    for (auto& m : self->state.view.up)
      names.push_back(m.name);
    return names;
  };
  auto hosts = [=] {
    std::vector<caf::actor> out;
    for (auto name : s.hosts)
      out.push_back(caf::actor_cast<caf::actor>(self->system().registry().get(name)));
    return out;
  };
  // The shards whose entities should run here: held, and still ours.
  auto wanted = [=] {
    shard_epochs out;
    auto names = members();
    for (auto& [shard, epoch] : self->state.owned)
      if (rendezvous_owner(shard, names) == me)
        out.emplace(shard, epoch);
    return out;
  };
  auto release_all = [=] {
    s.pool->run<bool>(
      [inc = s.incarnation](pqxx::connection_base& c) -> caf::expected<bool> {
        persistence::lease_store::release_all(c, inc);
        return true;
      },
      [rp = self->state.stopping, me = caf::actor_cast<caf::actor>(self)](caf::expected<bool> r) mutable {
        if (!r)
          spdlog::warn("shard keeper: leases not released: {}", error_message(r.error()));
        rp.deliver(caf::unit);
        caf::anon_send_exit(me, caf::exit_reason::normal);
      });
  };
  auto tick = [=] {
    auto& st = self->state;
    if (st.ticking) {
      st.tick_again = true;
      return;
    }
    st.ticking = true;
    persistence::lease_store::lease_tick t{me, s.incarnation, cfg.lease_time, {}, {}, {}};
    auto names = members();
    for (int shard = 0; shard < cfg.shards; ++shard) {
      auto ours = rendezvous_owner(shard, names) == me;
      auto held = st.owned.count(shard) > 0;
      if (ours && !held && st.view.settled)
        t.acquire.push_back(shard);
      else if (!ours && held && !st.assigned.count(shard))
        t.release.push_back(shard);
    }
    for (auto inc : st.view.dead)
      t.dead.push_back(static_cast<std::int64_t>(inc));
    s.pool->run<std::vector<lease_row>>(
      [t, shards = cfg.shards, create = !st.rows_created](pqxx::connection_base& c)
        -> caf::expected<std::vector<lease_row>> {
        if (create)
          persistence::lease_store::ensure_shards(c, shards);
        return persistence::lease_store::tick(c, t);
      },
      [me = caf::actor_cast<caf::actor>(self)](caf::expected<std::vector<lease_row>> rows) {
        if (rows)
          caf::anon_send(me, leases_atom::value, std::move(*rows));
        else
          caf::anon_send(me, leases_atom::value, rows.error());
      });
  };
  // After a tick: either stop, or go on with what the table says now.
  auto ticked = [=] {
    auto& st = self->state;
    st.ticking = false;
    if (st.stopping.pending())
      return release_all();
    if (st.tick_again) {
      st.tick_again = false;
      tick();
    }
  };

  auto assign = [=] {
    auto& st = self->state;
    auto hs = hosts();
    auto target = wanted();
    std::vector<caf::actor_addr> addresses;
    for (auto& h : hs)
      addresses.push_back(h.address());
    if (st.assigning || (target == st.assigned && addresses == st.assigned_to))
      return;
    if (std::any_of(hs.begin(), hs.end(), [](auto& h) { return !h; })) {
      st.assigned.clear(); // nothing runs without its host
      st.assigned_to.clear();
      return;
    }
    // `assigned` changes only once every host has answered: until then a
    // shard that some host may still run is not released.
    st.assigning = true;
    auto waiting = std::make_shared<std::size_t>(hs.size());
    auto failed = std::make_shared<bool>(false);
    auto answered = [=] {
      if (--*waiting > 0)
        return;
      auto& st = self->state;
      st.assigning = false;
      if (*failed)
        return;
      st.assigned = target;
      st.assigned_to = addresses;
      // Shards handed off are released now rather than a tick later.
      if (st.owned.size() > target.size())
        tick();
    };
    for (auto& h : hs)
      self->request(h, s.config->http.request_timeout, assign_atom::value, target)
        .then([=] { answered(); }, // an empty reply: done
              [=](caf::error& err) {
                *failed = true;
                spdlog::warn("shard keeper: a host did not take the assignment: {}", caf::to_string(err));
                answered();
              });
  };
  auto tell_region = [=] {
    placement p;
    p.self = me;
    p.owners.resize(self->state.rows.size());
    for (auto& m : self->state.view.up)
      p.agents.emplace(m.name, m.agent);
    for (auto& r : self->state.rows)
      if (r.owner_incarnation == s.incarnation || p.agents.count(r.owner))
        p.owners.at(r.shard) = r.owner;
    if (auto region = self->system().registry().get(shard_region_name))
      self->send(caf::actor_cast<caf::actor>(region), placement_atom::value, std::move(p));
  };
  self->delayed_send(self, cfg.lease_renew_interval, caf::tick_atom::value);
  if (s.clustered)
    if (auto agent = self->system().registry().get(node_agent_name))
      self->send(caf::actor_cast<caf::actor>(agent), members_atom::value);
  tick();
  return {
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.lease_renew_interval, caf::tick_atom::value);
      if (!self->state.stopping.pending())
        tick();
    },
    [=](members_atom, membership& view) {
      self->state.view = std::move(view);
      s.metrics->cluster_members_up.Set(static_cast<double>(self->state.view.up.size() + 1));
      tick();
    },
    [=](leases_atom, std::vector<lease_row>& rows) {
      auto& st = self->state;
      st.rows_created = true;
      shard_epochs owned;
      for (auto& r : rows)
        if (r.owner_incarnation == s.incarnation)
          owned.emplace(r.shard, r.epoch);
      for (auto& [shard, epoch] : owned)
        if (!st.owned.count(shard) || st.owned.at(shard) != epoch) {
          s.metrics->shard_takeovers.Increment();
          spdlog::info("shard {}: taken at epoch {}", shard, epoch);
        }
      for (auto& [shard, epoch] : st.owned)
        if (!owned.count(shard))
          spdlog::info("shard {}: no longer held (epoch {})", shard, epoch);
      st.owned = std::move(owned);
      st.rows = std::move(rows);
      s.metrics->shards_owned.Set(static_cast<double>(st.owned.size()));
      assign();
      tell_region();
      ticked();
    },
    [=](leases_atom, const caf::error& err) {
      s.metrics->lease_failures.Increment();
      spdlog::warn("shard keeper: lease tick failed: {}", error_message(err));
      ticked();
    },
    [=](caf::get_atom) { return self->state.rows; },
    [=](stop_atom) -> caf::result<caf::unit_t> {
      auto& st = self->state;
      st.stopping = self->make_response_promise();
      if (!st.ticking)
        release_all();
      return caf::delegated<caf::unit_t>{};
    },
  };
}

} // namespace

caf::actor spawn_shard_keeper(caf::actor_system& system, keeper_services s) {
  return system.spawn(shard_keeper, std::move(s));
}

} // namespace troupe::topology
