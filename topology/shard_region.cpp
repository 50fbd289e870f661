#include "topology/shard_region.hpp"

#include <deque>

#include <caf/all.hpp>

#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/messages.hpp"
#include "topology/placement.hpp"

namespace troupe::topology {
namespace {

struct waiting {
  caf::atom_value host;
  std::uint64_t key;
  caf::message msg;
  caf::response_promise reply;
  std::chrono::steady_clock::time_point since;
};

struct region_state {
  placement where;
  std::deque<waiting> held;
  static inline const char* name = "shard_region";
};

caf::behavior shard_region(caf::stateful_actor<region_state>* self, node_config cfg, metrics* m) {
  self->system().registry().put(shard_region_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(shard_region_name); });

  auto refuse = [=](waiting& w, const char* why) {
    m->region_undelivered.Increment();
    w.reply.deliver(make_error(errc::unavailable, std::string{"shard "} +
                                                    std::to_string(shard_of(w.key, cfg.cluster.shards)) + " " + why));
  };
  // Delivers `w` if its shard's owner can take it; false otherwise.
  auto deliver = [=](waiting& w) {
    auto& where = self->state.where;
    auto shard = shard_of(w.key, cfg.cluster.shards);
    if (static_cast<std::size_t>(shard) >= where.owners.size() || where.owners[shard].empty())
      return false;
    auto& owner = where.owners[shard];
    if (owner == where.self) {
      auto local = self->system().registry().get(w.host);
      if (!local)
        return false;
      w.reply.delegate(caf::actor_cast<caf::actor>(local), std::move(w.msg));
    } else {
      w.reply.delegate(where.agents.at(owner), forward_atom::value, w.host, std::move(w.msg));
    }
    return true;
  };
  auto hold = [=](waiting w) {
    auto& held = self->state.held;
    if (held.size() >= cfg.cluster.region_buffer) {
      refuse(held.front(), "has no owner and the region's buffer is full");
      held.pop_front();
    }
    held.push_back(std::move(w));
  };

  self->delayed_send(self, cfg.cluster.region_buffer_timeout, caf::tick_atom::value);
  return {
    [=](route_atom, caf::atom_value host, std::uint64_t key, caf::message& msg) {
      waiting w{host, key, std::move(msg), self->make_response_promise(), std::chrono::steady_clock::now()};
      if (!deliver(w))
        hold(std::move(w));
    },
    [=](placement_atom, placement& p) {
      self->state.where = std::move(p);
      auto held = std::move(self->state.held);
      self->state.held.clear();
      for (auto& w : held)
        if (!deliver(w))
          self->state.held.push_back(std::move(w));
    },
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.cluster.region_buffer_timeout, caf::tick_atom::value);
      auto& held = self->state.held;
      auto deadline = std::chrono::steady_clock::now() - cfg.cluster.region_buffer_timeout;
      while (!held.empty() && held.front().since < deadline) {
        refuse(held.front(), "found no owner in time");
        held.pop_front();
      }
    },
  };
}

} // namespace

caf::actor spawn_shard_region(caf::actor_system& system, const node_config& cfg, metrics* m) {
  return system.spawn(shard_region, cfg, m);
}

} // namespace troupe::topology
