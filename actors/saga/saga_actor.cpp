#include "actors/saga/saga_actor.hpp"

#include <optional>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "persistence/group_commit.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/saga_store.hpp"
#include "runtime/atoms.hpp"
#include "runtime/clock.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/entity_host.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<troupe::saga::saga_view>)

namespace troupe::saga {
namespace {

namespace store = persistence::saga_store;
using json = nlohmann::json;
using load_atom = caf::atom_constant<caf::atom("load")>;
using written_atom = caf::atom_constant<caf::atom("written")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;

struct saga_actor_state {
  const saga_definition* def = nullptr;
  std::optional<saga_view> rec; // as it will be written next
  bool fresh = false;           // rec is not in the database yet
  std::vector<int> ended;       // steps that ended since the last write
  json input, context;
  position at;
  bool loaded = false;
  bool loading = false;
  bool busy = false;     // a step or a write is under way
  bool pausing = false;  // waiting out a backoff
  std::function<void()> after_write;
  std::optional<std::pair<std::string, std::string>> to_start; // type, input
  std::vector<caf::response_promise> waiting;
  std::minstd_rand rng{std::random_device{}()};
  std::function<void()> run;
  static inline const char* name = "saga";
};

caf::behavior saga_actor(caf::stateful_actor<saga_actor_state>* self, std::string id, int shard, std::int64_t epoch,
                         services s, const definitions* defs) {
  auto writes = s.writes;
  auto me = caf::actor_cast<caf::actor>(self);
  auto& cfg = s.config->saga;
  auto delay = [=](int attempt) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return backoff(attempt, cfg.retry_initial, cfg.retry_multiplier, cfg.retry_max, unit(self->state.rng));
  };
  auto load = [=] {
    auto& st = self->state;
    if (st.loading)
      return;
    st.loading = true;
    s.pool->run<std::optional<saga_view>>(
      [id](pqxx::connection_base& c) -> caf::expected<std::optional<saga_view>> { return store::load(c, id); },
      [me](caf::expected<std::optional<saga_view>> v) {
        v ? caf::anon_send(me, load_atom::value, std::move(*v)) : caf::anon_send(me, load_atom::value, v.error());
      });
  };
  // Writes rec under the shard's lease; `then` runs once it is committed.
  // Should the write fail, the saga reloads what was written and goes on
  // from there: a step sent again carries the same idempotency key.
  auto write = [=](std::function<void()> then) {
    auto& st = self->state;
    st.busy = true;
    st.after_write = std::move(then);
    writes->submit(
      [v = *st.rec, fresh = std::exchange(st.fresh, false),
       ended = std::exchange(st.ended, {})](persistence::group_commit::batch& b) -> caf::error {
        store::write(b, v, fresh, ended);
        return {};
      },
      [me](caf::error err) { caf::anon_send(me, written_atom::value, std::move(err)); },
      persistence::group_commit::fence{shard, epoch});
  };
  auto finish = [=] {
    auto& st = self->state;
    for (auto& p : st.waiting)
      p.deliver(*st.rec);
    st.waiting.clear();
    self->quit();
  };
  // One step (action or compensation) of the current position, then the next.
  auto step = [=] {
    auto& st = self->state;
    auto i = st.at.step;
    auto compensating = st.at.state == saga_state::compensating;
    auto* def = &st.def->steps.at(static_cast<std::size_t>(i));
    auto& row = st.rec->steps.at(static_cast<std::size_t>(i));
    auto status = compensating ? "compensating" : "running";
    row.status = status;
    ++row.attempts;
    if (!row.started_at_ms)
      row.started_at_ms = system_time_ms();
    write([=] {
      auto& st = self->state;
      step_call call{id, id + ":" + std::to_string(i), st.input, st.context};
      auto& fn = compensating ? def->compensation : def->action;
      st.busy = true;
      fn(self, call, [=](step_reply r) {
        auto& st = self->state;
        auto before = st.at;
        auto next = advance(st.def->shape(), before, r.result);
        for (auto& [k, v] : r.context.items())
          st.context[k] = v;
        auto& row = st.rec->steps.at(static_cast<std::size_t>(i));
        row.last_error = r.result == step_result::succeeded ? "" : r.error;
        if (r.result == step_result::succeeded) {
          row.status = compensating ? "compensated" : "succeeded";
        } else if (!compensating && r.result == step_result::failed && next.state != saga_state::running) {
          row.status = "failed";
          st.rec->error = r.error;
        }
        if (row.status != status) {
          row.finished_at_ms = system_time_ms();
          st.ended.push_back(i);
        }
        st.rec->state = to_string(next.state);
        st.rec->step = next.step;
        st.rec->context = st.context.dump();
        st.at = next;
        if (!finished(next.state) && !(next == before)) {
          // Written with the start of the next step.
          st.busy = false;
          return st.run();
        }
        write([=] {
          auto& st = self->state;
          if (finished(next.state))
            s.metrics->sagas_finished.Add({{"type", st.rec->type}, {"state", st.rec->state}}).Increment();
          if (next == before) {
            auto& row = st.rec->steps.at(static_cast<std::size_t>(i));
            s.metrics->saga_step_retries.Add({{"type", st.rec->type}, {"step", row.name}}).Increment();
            st.pausing = true;
            self->delayed_send(self, delay(row.attempts + 1), retry_atom::value);
            return;
          }
          st.run();
        });
      });
    });
  };
  self->state.run = [=] {
    auto& st = self->state;
    if (st.busy || st.pausing || !st.loaded)
      return;
    if (finished(st.at.state))
      return finish();
    step();
  };
  auto create = [=](const std::string& type, const std::string& input) {
    auto& st = self->state;
    auto def = defs->find(type);
    auto parsed = json::parse(input, nullptr, false);
    if (def == defs->end() || !parsed.is_object()) {
      for (auto& p : st.waiting)
        p.deliver(make_error(errc::invalid_argument, def == defs->end() ? "unknown saga type '" + type + "'"
                                                                         : "saga input: expected a JSON object"));
      st.waiting.clear();
      return self->quit();
    }
    saga_view v;
    v.id = id;
    v.type = type;
    auto at = start(def->second.shape());
    v.state = to_string(at.state);
    v.step = at.step;
    v.shard = shard;
    v.input = input;
    v.context = "{}";
    for (auto& sd : def->second.steps)
      v.steps.push_back({sd.name, sd.pivot, "pending", 0, {}, 0, 0});
    // Written with the first step's start: should that fail, the saga
    // reloads, finds itself written or not, and goes on or starts again
    // (from to_start, kept for that).
    st.fresh = true;
    st.def = &def->second;
    st.rec = v;
    st.input = std::move(parsed);
    st.context = json::object();
    st.at = at;
    st.run();
  };
  return {
    [=](start_atom, const std::string& type, const std::string& input) -> caf::result<saga_view> {
      auto& st = self->state;
      st.waiting.push_back(self->make_response_promise());
      if (!st.loaded) {
        st.to_start.emplace(type, input);
        load();
      } else {
        st.run();
      }
      return caf::delegated<saga_view>{};
    },
    [=](resume_atom) {
      auto& st = self->state;
      st.loaded ? st.run() : load();
    },
    [=](retry_atom) {
      auto& st = self->state;
      st.pausing = false;
      st.loaded ? st.run() : load();
    },
    [=](load_atom, std::optional<saga_view>& v) {
      auto& st = self->state;
      st.loading = false;
      if (!v) {
        if (!st.to_start)
          return self->quit(); // resumed, but never started: nothing to do
        st.loaded = true;
        return create(st.to_start->first, st.to_start->second);
      }
      auto def = defs->find(v->type);
      if (def == defs->end()) {
        spdlog::error("saga {}: unknown type '{}', left as it is", id, v->type);
        return self->quit();
      }
      st.loaded = true;
      st.def = &def->second;
      st.input = json::parse(v->input);
      st.context = json::parse(v->context);
      st.at = {*parse_state(v->state), v->step};
      st.rec = std::move(v);
      st.run();
    },
    [=](load_atom, const caf::error& err) {
      self->state.loading = false;
      spdlog::warn("saga {}: cannot load: {}", id, error_message(err));
      self->state.pausing = true;
      self->delayed_send(self, delay(2), retry_atom::value);
    },
    [=](written_atom, const caf::error& err) {
      auto& st = self->state;
      st.busy = false;
      auto then = std::move(st.after_write);
      st.after_write = nullptr;
      if (!err)
        return then();
      if (is(err, errc::lease_lost)) {
        spdlog::info("saga {}: {}", id, error_message(err));
        return self->quit();
      }
      // Not written: what the database holds is read again, and the saga
      // goes on from there after a pause.
      spdlog::warn("saga {}: write failed: {}", id, error_message(err));
      st.loaded = false;
      st.pausing = true;
      self->delayed_send(self, delay(2), retry_atom::value);
    },
    [=](stop_atom) { self->quit(); },
  };
}

} // namespace

caf::actor spawn_saga_host(caf::actor_system& system, services s, const definitions* defs) {
  topology::entity_host_spec spec;
  spec.kind = "sagas";
  spec.name = sagas_name;
  spec.shards = s.config->cluster.shards;
  spec.passivate_after = milliseconds{3600 * 1000};
  spec.spawn = [=](caf::actor_system& sys, const std::string& id, int shard, std::int64_t epoch) {
    return sys.spawn(saga_actor, id, shard, epoch, s, defs);
  };
  spec.resume_interval = s.config->saga.sweep_interval;
  spec.resume = [s](caf::actor host, const topology::shard_epochs& shards) {
    std::vector<int> ids;
    for (auto& [shard, epoch] : shards)
      ids.push_back(shard);
    s.pool->run<std::vector<std::string>>(
      [ids](pqxx::connection_base& c) -> caf::expected<std::vector<std::string>> {
        return store::unfinished(c, ids, 10'000);
      },
      [host](caf::expected<std::vector<std::string>> unfinished) {
        if (!unfinished)
          return spdlog::warn("sagas: cannot list unfinished sagas: {}", error_message(unfinished.error()));
        for (auto& id : *unfinished)
          caf::anon_send(host, topology::entity_atom::value, id, caf::make_message(resume_atom::value));
      });
  };
  return topology::spawn_entity_host(system, std::move(spec));
}

} // namespace troupe::saga
