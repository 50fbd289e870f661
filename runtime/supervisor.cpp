#include "runtime/supervisor.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"

namespace troupe {

std::optional<milliseconds> restart_budget::on_failure(time_point now) {
  while (!failures_.empty() && now - failures_.front() > policy_.window)
    failures_.pop_front();
  if (static_cast<int>(failures_.size()) >= policy_.max_restarts)
    return std::nullopt;
  failures_.push_back(now);
  auto delay = policy_.initial_backoff.count() * std::pow(policy_.multiplier, failures_.size() - 1.0);
  return std::min(milliseconds{static_cast<long long>(delay)}, policy_.max_backoff);
}

namespace {

struct child {
  child_spec spec;
  restart_budget budget;
  caf::actor handle;   // empty while a restart is pending
  std::uint64_t generation = 0; // tells a pending restart from a stale one
};

using children = std::map<std::string, child>;

caf::behavior supervisor(caf::event_based_actor* self, std::string name, restart_policy policy,
                         metrics* m) {
  auto kids = std::make_shared<children>();
  auto launch = [self, kids](child& c) {
    c.handle = c.spec.spawn(self->system());
    self->monitor(c.handle);
  };
  // Children stop with their supervisor, whatever the reason.
  self->attach_functor([kids] {
    for (auto& [_, c] : *kids)
      if (c.handle)
        caf::anon_send_exit(c.handle, caf::exit_reason::user_shutdown);
    kids->clear();
  });
  self->set_down_handler([=](caf::down_msg& down) {
    auto i = std::find_if(kids->begin(), kids->end(),
                          [&](auto& kv) { return kv.second.handle.address() == down.source; });
    if (i == kids->end())
      return;
    auto& c = i->second;
    if (!down.reason || down.reason == caf::exit_reason::user_shutdown) {
      kids->erase(i);
      return;
    }
    c.handle = nullptr;
    auto delay = c.budget.on_failure(std::chrono::steady_clock::now());
    if (!delay) {
      spdlog::error("supervisor {}: child {} spent its restart budget ({}), escalating", name, c.spec.name,
                    caf::to_string(down.reason));
      if (m)
        m->actor_escalations.Add({{"supervisor", name}}).Increment();
      self->quit(make_error(errc::restart_budget_exhausted, name + "/" + c.spec.name));
      return;
    }
    spdlog::warn("supervisor {}: child {} failed ({}), restarting in {} ms", name, c.spec.name,
                 caf::to_string(down.reason), delay->count());
    if (m)
      m->actor_restarts.Add({{"supervisor", name}}).Increment();
    self->delayed_send(self, *delay, restart_atom::value, c.spec.name, ++c.generation);
  });
  return {
    [=](start_atom, child_spec& spec) {
      if (auto i = kids->find(spec.name); i != kids->end()) {
        if (i->second.handle) {
          self->demonitor(i->second.handle);
          self->send_exit(i->second.handle, caf::exit_reason::user_shutdown);
        }
        kids->erase(i);
      }
      auto key = spec.name;
      auto& c = kids->emplace(key, child{std::move(spec), restart_budget{policy}, nullptr, 0}).first->second;
      launch(c);
    },
    [=](stop_atom, const std::string& child_name) {
      auto i = kids->find(child_name);
      if (i == kids->end())
        return;
      if (i->second.handle) {
        self->demonitor(i->second.handle);
        self->send_exit(i->second.handle, caf::exit_reason::user_shutdown);
      }
      kids->erase(i);
    },
    [=](restart_atom, const std::string& child_name, std::uint64_t generation) {
      auto i = kids->find(child_name);
      if (i != kids->end() && i->second.generation == generation && !i->second.handle)
        launch(i->second);
    },
    [=](caf::get_atom, const std::string& child_name) -> caf::actor {
      auto i = kids->find(child_name);
      return i == kids->end() ? caf::actor{} : i->second.handle;
    },
  };
}

} // namespace

caf::actor spawn_supervisor(caf::actor_system& system, std::string name, restart_policy policy, metrics* m) {
  return system.spawn(supervisor, std::move(name), policy, m);
}

} // namespace troupe
