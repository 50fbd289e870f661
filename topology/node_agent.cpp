#include "topology/node_agent.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/billing/messages.hpp"
#include "actors/checker/messages.hpp"
#include "actors/saga/messages.hpp"
#include "runtime/clock.hpp"
#include "runtime/errors.hpp"
#include "topology/shard_keeper.hpp"

namespace troupe::topology {
namespace {

struct peer {
  member m;                  // agent empty unless up
  std::string status = "joining"; // joining, up, suspect, down
  std::int64_t last_seen_ms = 0;
  std::int64_t since_ms = system_time_ms(); // when it entered its status
  bool dialing = false;
};

struct agent_state {
  member self;
  std::map<std::string, peer> peers; // by address
  std::vector<std::uint64_t> dead;   // incarnations seen to die, newest last
  static inline const char* name = "node_agent";
};

// Enough to cover every member a cluster has lost recently.
constexpr std::size_t dead_kept = 64;

bool lower(const member& a, const std::string& host, std::uint16_t port) {
  return std::tie(a.host, a.port) < std::tie(host, port);
}

caf::behavior node_agent(caf::stateful_actor<agent_state>* self, node_config cfg, member me, bool publish_self) {
  me.agent = caf::actor_cast<caf::actor>(self);
  self->state.self = me;
  auto dial_timeout = 2 * cfg.cluster.connection_timeout;
  auto mm = self->system().middleman().actor_handle();
  if (publish_self)
    self->request(mm, caf::infinite, caf::publish_atom::value, me.port, caf::actor_cast<caf::strong_actor_ptr>(self),
                  std::set<std::string>{}, me.host, true)
      .then([](std::uint16_t) {},
            [=](caf::error& err) {
              spdlog::error("cannot publish the node agent on {}: {}", me.address(), caf::to_string(err));
              self->quit(err);
            });
  // The port goes with the agent, so that its successor can publish there.
  self->system().registry().put(node_agent_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([mm, port = me.port, sys = &self->system(), addr = self->address()] {
    if (caf::actor_cast<caf::actor_addr>(sys->registry().get(node_agent_name)) == addr)
      sys->registry().erase(node_agent_name);
    caf::anon_send(mm, caf::close_atom::value, port);
  });

  // Tells the shard keeper (whichever runs now) how the cluster looks.
  auto publish = [=] {
    auto keeper = self->system().registry().get(shard_keeper_name);
    if (!keeper)
      return;
    membership view;
    view.dead = self->state.dead;
    view.settled = true;
    for (auto& [_, p] : self->state.peers) {
      if (p.status == "up")
        view.up.push_back(p.m);
      view.settled = view.settled && p.status != "joining";
    }
    self->send(caf::actor_cast<caf::actor>(keeper), members_atom::value, std::move(view));
  };
  // Records that an incarnation is dead and tells the up peers, so that
  // they need not find out by themselves. Only proof counts: nothing
  // listens at its address any more, or another incarnation answers there.
  // A peer that merely stops answering may be frozen, and its leases go by
  // expiry instead.
  auto bury = [=](std::uint64_t incarnation) {
    auto& dead = self->state.dead;
    if (incarnation == 0 || std::find(dead.begin(), dead.end(), incarnation) != dead.end())
      return false;
    dead.push_back(incarnation);
    if (dead.size() > dead_kept)
      dead.erase(dead.begin());
    for (auto& [_, p] : self->state.peers)
      if (p.status == "up")
        self->send(p.m.agent, buried_atom::value, incarnation);
    return true;
  };
  auto set_status = [=](peer& p, const std::string& status) {
    if (p.status != status) {
      spdlog::info("cluster: {} ({}) is {}", p.m.name.empty() ? p.m.address() : p.m.name, p.m.address(), status);
      p.status = status;
      p.since_ms = system_time_ms();
      publish();
    }
  };
  auto connected = [=](const member& m) {
    auto& p = self->state.peers[m.address()];
    if (p.m.agent && p.m.agent != m.agent)
      self->demonitor(p.m.agent);
    auto replaced = p.m.incarnation != m.incarnation;
    if (replaced)
      bury(p.m.incarnation);
    // Alive after all (its agent restarted, say): no longer dead.
    auto& dead = self->state.dead;
    dead.erase(std::remove(dead.begin(), dead.end(), m.incarnation), dead.end());
    p.m = m;
    p.last_seen_ms = system_time_ms();
    self->monitor(m.agent);
    if (replaced && p.status == "up")
      publish();
    set_status(p, "up");
  };
  // Dials a peer's address and introduces this node; its answer names the
  // members it knows, which this node then meets in turn. Shared, so that
  // the lambdas made before it is assigned (itself included) call it.
  auto dial = std::make_shared<std::function<void(const std::string&, std::uint16_t)>>();
  auto learn = [=](const std::string& host, std::uint16_t port) -> peer* {
    if (host == me.host && port == me.port)
      return nullptr;
    auto& p = self->state.peers[host + ":" + std::to_string(port)];
    p.m.host = host;
    p.m.port = port;
    return &p;
  };
  *dial = [=](const std::string& host, std::uint16_t port) {
    auto p = learn(host, port);
    if (!p || p->dialing)
      return;
    p->dialing = true;
    auto address = p->m.address();
    auto failed = [=](const caf::error& err) {
      auto& p = self->state.peers[address];
      p.dialing = false;
      if (p.status == "up")
        return;
      spdlog::debug("cluster: dialling {} failed: {}", address, caf::to_string(err));
      if (err == caf::sec::cannot_connect_to_node && bury(p.m.incarnation))
        publish();
      set_status(p, "down");
    };
    self->request(self->system().middleman().actor_handle(), dial_timeout, caf::connect_atom::value, host, port)
      .then(
        [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
          auto agent = caf::actor_cast<caf::actor>(ptr);
          if (!agent)
            return failed(caf::sec::no_actor_published_at_port);
          self->request(agent, dial_timeout, hello_atom::value, self->state.self)
            .then(
              [=](std::vector<member>& known) {
                self->state.peers[address].dialing = false;
                for (auto& m : known) {
                  if (m.address() == address)
                    connected(m);
                  else if (auto q = learn(m.host, m.port); q && q->status != "up" && lower(me, m.host, m.port))
                    (*dial)(m.host, m.port);
                }
              },
              failed);
        },
        failed);
  };

  self->set_down_handler([=](caf::down_msg& d) {
    for (auto& [address, p] : self->state.peers)
      if (p.m.agent.address() == d.source) {
        p.m.agent = nullptr;
        set_status(p, "suspect");
        (*dial)(p.m.host, p.m.port); // confirms the loss or finds the peer again
        return;
      }
  });

  for (auto& seed : cfg.cluster.seeds) {
    auto colon = seed.rfind(':');
    auto host = seed.substr(0, colon);
    auto port = static_cast<std::uint16_t>(std::stoi(seed.substr(colon + 1)));
    if (lower(me, host, port))
      (*dial)(host, port);
    else
      learn(host, port);
  }
  self->delayed_send(self, cfg.cluster.connection_timeout, caf::tick_atom::value);

  return {
    [=](hello_atom, member& m) -> std::vector<member> {
      connected(m);
      // Third parties go by address only: a handle of a node that this
      // peer reaches directly would make CAF route to it through us.
      auto by_address = [](member x) {
        x.agent = nullptr;
        return x;
      };
      std::vector<member> known{self->state.self};
      for (auto& [_, p] : self->state.peers) {
        if (p.status != "up")
          continue;
        known.push_back(by_address(p.m));
        if (p.m.address() != m.address())
          self->send(p.m.agent, joined_atom::value, by_address(m));
      }
      return known;
    },
    [=](joined_atom, member& m) {
      auto p = learn(m.host, m.port);
      if (p && p->status != "up" && lower(me, m.host, m.port))
        (*dial)(m.host, m.port);
    },
    // Up peers are seen now; the rest are dialled again, by the lower side
    // at once and by either after a grace period (in case the lower one
    // never heard of this node).
    [=](caf::tick_atom) {
      self->delayed_send(self, cfg.cluster.connection_timeout, caf::tick_atom::value);
      auto now = system_time_ms();
      for (auto& [_, p] : self->state.peers) {
        if (p.status == "up")
          p.last_seen_ms = now;
        else if (lower(me, p.m.host, p.m.port) || now - p.since_ms > dial_timeout.count())
          (*dial)(p.m.host, p.m.port);
      }
    },
    [=](members_atom) { publish(); },
    // A peer's proof that an incarnation is dead.
    [=](buried_atom, std::uint64_t incarnation) {
      if (!bury(incarnation))
        return;
      for (auto& [_, p] : self->state.peers)
        if (p.m.incarnation == incarnation && p.status == "suspect")
          set_status(p, "down");
      publish();
    },
    // A message routed here by a peer's shard region, for an actor of this
    // node; its reply goes straight back to whoever asked.
    [=](forward_atom, caf::atom_value host, caf::message& msg) -> caf::result<caf::message> {
      auto target = self->system().registry().get(host);
      if (!target)
        return make_error(errc::unavailable, "no " + caf::to_string(host) + " on " + me.name);
      return self->delegate(caf::actor_cast<caf::actor>(target), std::move(msg));
    },
    [=](caf::get_atom) {
      std::vector<member_status> out{{me.name, me.address(), "up", system_time_ms(), true}};
      for (auto& [address, p] : self->state.peers)
        out.push_back({p.m.name, address, p.status, p.last_seen_ms, false});
      return out;
    },
  };
}

} // namespace

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<member>("troupe.member");
  cfg.add_message_type<std::vector<member>>("std::vector<troupe.member>");
  cfg.add_message_type<checker::target>("troupe.target");
  cfg.add_message_type<billing::account>("troupe.account");
  cfg.add_message_type<billing::operation>("troupe.operation");
  cfg.add_message_type<saga::saga_view>("troupe.saga");
}

caf::actor spawn_node_agent(caf::actor_system& system, const node_config& cfg, member self, bool publish_self) {
  return system.spawn(node_agent, cfg, std::move(self), publish_self);
}

} // namespace troupe::topology
