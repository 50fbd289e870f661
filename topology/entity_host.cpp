#include "topology/entity_host.hpp"

#include <map>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"
#include "topology/placement.hpp"

namespace troupe::topology {
namespace {

using clock = std::chrono::steady_clock;

struct running {
  std::string id;
  int shard;
  caf::actor handle;
};

struct host_state {
  shard_epochs owned;
  struct current {
    caf::actor handle;
    clock::time_point last_used;
  };
  std::map<std::string, current> entities; // the actor that takes new messages, per id
  // Every entity actor, stopping ones too; shared with the functor that
  // ends them when the host ends (a host's successor would otherwise run a
  // second actor for the same id).
  std::shared_ptr<std::map<caf::actor_addr, running>> alive = std::make_shared<std::map<caf::actor_addr, running>>();
  // An assignment is answered once the entities of the shards it took away
  // have stopped: only then may their lease go to another node.
  std::set<caf::actor_addr> awaited;
  caf::response_promise assigned;
  static inline const char* name = "entity_host";
};

caf::behavior entity_host(caf::stateful_actor<host_state>* self, entity_host_spec spec) {
  self->system().registry().put(spec.name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system(), name = spec.name, alive = self->state.alive] {
    sys->registry().erase(name);
    for (auto& [addr, r] : *alive)
      caf::anon_send_exit(r.handle, caf::exit_reason::kill);
  });
  auto answer_if_done = [=] {
    auto& st = self->state;
    if (st.awaited.empty() && st.assigned.pending())
      st.assigned.deliver(caf::unit);
  };
  self->set_down_handler([=](caf::down_msg& d) {
    auto& st = self->state;
    auto i = st.alive->find(d.source);
    if (i == st.alive->end())
      return;
    auto e = st.entities.find(i->second.id);
    if (e != st.entities.end() && e->second.handle.address() == d.source)
      st.entities.erase(e);
    if (d.reason && d.reason != caf::exit_reason::normal)
      spdlog::warn("{}: entity {} failed: {}", spec.kind, i->second.id, caf::to_string(d.reason));
    st.alive->erase(i);
    st.awaited.erase(d.source);
    answer_if_done();
  });
  auto stop = [=](std::map<std::string, host_state::current>::iterator i) {
    self->send(i->second.handle, stop_atom::value);
    return self->state.entities.erase(i);
  };
  auto passivate_tick = std::max(spec.passivate_after / 2, milliseconds{10});
  self->delayed_send(self, passivate_tick, caf::tick_atom::value);
  if (spec.resume && spec.resume_interval.count() > 0)
    self->delayed_send(self, spec.resume_interval, resume_atom::value);
  return {
    [=](entity_atom, const std::string& id, caf::message& inner) -> caf::result<caf::message> {
      auto& st = self->state;
      auto i = st.entities.find(id);
      if (i == st.entities.end()) {
        auto shard = shard_of(key_of(id), spec.shards);
        auto held = st.owned.find(shard);
        if (held == st.owned.end())
          return make_error(errc::unavailable, spec.kind + ": shard " + std::to_string(shard) + " is not held here");
        auto handle = spec.spawn(self->system(), id, shard, held->second);
        self->monitor(handle);
        st.alive->emplace(handle.address(), running{id, shard, handle});
        i = st.entities.emplace(id, host_state::current{handle, clock::now()}).first;
      }
      i->second.last_used = clock::now();
      return self->delegate(i->second.handle, std::move(inner));
    },
    [=](assign_atom, const shard_epochs& owned) -> caf::result<caf::unit_t> {
      auto& st = self->state;
      shard_epochs gained;
      for (auto& [shard, epoch] : owned)
        if (!st.owned.count(shard) || st.owned.at(shard) != epoch)
          gained.emplace(shard, epoch);
      st.owned = owned;
      auto kept = [&](int shard) { return owned.count(shard) && !gained.count(shard); };
      for (auto i = st.entities.begin(); i != st.entities.end();)
        i = kept(st.alive->at(i->second.handle.address()).shard) ? std::next(i) : stop(i);
      st.awaited.clear();
      for (auto& [addr, r] : *st.alive)
        if (!kept(r.shard))
          st.awaited.insert(addr);
      if (!gained.empty() && spec.resume)
        spec.resume(caf::actor_cast<caf::actor>(self), gained);
      st.assigned = self->make_response_promise();
      answer_if_done();
      return caf::delegated<caf::unit_t>{};
    },
    [=](resume_atom) {
      self->delayed_send(self, spec.resume_interval, resume_atom::value);
      if (!self->state.owned.empty())
        spec.resume(caf::actor_cast<caf::actor>(self), self->state.owned);
    },
    [=](caf::tick_atom) {
      self->delayed_send(self, passivate_tick, caf::tick_atom::value);
      auto idle_since = clock::now() - spec.passivate_after;
      auto& st = self->state;
      for (auto i = st.entities.begin(); i != st.entities.end();)
        i = i->second.last_used < idle_since ? stop(i) : std::next(i);
    },
  };
}

} // namespace

caf::actor spawn_entity_host(caf::actor_system& system, entity_host_spec spec) {
  return system.spawn(entity_host, std::move(spec));
}

caf::message entity_message(const std::string& id, caf::message inner) {
  return caf::make_message(entity_atom::value, id, std::move(inner));
}

} // namespace troupe::topology
