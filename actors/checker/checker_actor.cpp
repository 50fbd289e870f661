#include "actors/checker/checker_actor.hpp"

#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/checker/scrape_client.hpp"
#include "runtime/clock.hpp"
#include "runtime/metrics.hpp"

namespace troupe::checker {
namespace {

struct checker_state {
  target t;
  lease held;
  http_url url;
  bool in_flight = false;
  std::minstd_rand rng{std::random_device{}()};
  static inline const char* name = "checker";
};

check_result judge(const target& t, lease held, scrape_response& r, std::int64_t started_ms, metrics& m) {
  check_result out;
  out.target_id = t.id;
  out.shard = held.shard;
  out.epoch = held.epoch;
  out.target_name = t.spec.name;
  out.checked_at_ms = started_ms;
  out.http_status = r.status;
  out.latency_ms = r.latency_ms;
  if (!r.error.empty()) {
    out.error = r.error;
  } else if (r.status < 200 || r.status > 299) {
    out.error = "http_status";
  } else if (t.spec.kind == "prometheus") {
    auto parsed = parse_exposition(r.body);
    out.malformed_lines = parsed.malformed_lines;
    m.malformed_lines.Increment(static_cast<double>(parsed.malformed_lines));
    if (parsed.samples.empty() && parsed.malformed_lines > 0)
      out.error = "unparsable";
    out.samples = std::move(parsed.samples);
  }
  out.pass = out.error.empty();
  if (!out.pass)
    m.scrape_failures.Add({{"reason", out.error}}).Increment();
  return out;
}

caf::behavior checker(caf::stateful_actor<checker_state>* self, target t, lease held, bool at_once, services s) {
  auto url = parse_http_url(t.spec.url);
  if (!url) {
    self->quit(url.error());
    return {};
  }
  self->state.t = std::move(t);
  self->state.held = held;
  self->state.url = *url;
  s.metrics->checkers_running.Increment();
  self->attach_functor([m = s.metrics] { m->checkers_running.Decrement(); });
  auto interval = milliseconds{self->state.t.spec.interval_ms};
  // A new target's first scrape lands anywhere in its first interval, so
  // that targets added together do not scrape in lockstep; later ones vary
  // by +-10%. One taken over from another node is overdue: it goes now.
  if (at_once)
    self->send(self, caf::tick_atom::value);
  else
    self->delayed_send(self, milliseconds{self->state.rng() % (interval.count() + 1)}, caf::tick_atom::value);
  return {
    [=](caf::tick_atom) {
      auto& st = self->state;
      auto spread = interval.count() / 10;
      auto next = interval.count() - spread + static_cast<long long>(st.rng() % (2 * spread + 1));
      self->delayed_send(self, milliseconds{next}, caf::tick_atom::value);
      if (st.in_flight) {
        s.metrics->scrapes_skipped.Increment();
        return;
      }
      st.in_flight = true;
      s.client->fetch(st.url, milliseconds{st.t.spec.timeout_ms},
                      [me = caf::actor_cast<caf::actor>(self), started = system_time_ms()](scrape_response r) {
                        caf::anon_send(me, std::move(r), started);
                      });
    },
    [=](scrape_response& r, std::int64_t started_ms) {
      auto& st = self->state;
      st.in_flight = false;
      auto began = std::chrono::steady_clock::now();
      auto result = judge(st.t, st.held, r, started_ms, *s.metrics);
      s.metrics->scrape_duration.Observe(
        r.latency_ms / 1000 + std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
      if (auto writer = self->system().registry().get(result_writer_name))
        self->send(caf::actor_cast<caf::actor>(writer), std::move(result));
      else
        spdlog::warn("checker {}: no result writer, check dropped", st.t.spec.name);
    },
  };
}

} // namespace

caf::actor spawn_checker(caf::actor_system& system, target t, lease held, bool at_once, services s) {
  return system.spawn(checker, std::move(t), held, at_once, s);
}

} // namespace troupe::checker
