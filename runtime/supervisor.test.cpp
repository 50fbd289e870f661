#include "runtime/supervisor.hpp"

#include <atomic>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"

using namespace troupe;
using namespace std::chrono_literals;

TEST_CASE("restart delays grow exponentially up to the cap") {
  restart_policy p{100ms, 1000ms, 2.0, 10, 60s};
  restart_budget b(p);
  auto t = std::chrono::steady_clock::time_point{};
  CHECK(b.on_failure(t) == 100ms);
  CHECK(b.on_failure(t + 1ms) == 200ms);
  CHECK(b.on_failure(t + 2ms) == 400ms);
  CHECK(b.on_failure(t + 3ms) == 800ms);
  CHECK(b.on_failure(t + 4ms) == 1000ms);
}

TEST_CASE("a spent restart budget asks to escalate, and refills after the window") {
  restart_policy p{10ms, 1000ms, 2.0, 3, 1000ms};
  restart_budget b(p);
  auto t = std::chrono::steady_clock::time_point{};
  CHECK(b.on_failure(t));
  CHECK(b.on_failure(t + 1ms));
  CHECK(b.on_failure(t + 2ms));
  CHECK_FALSE(b.on_failure(t + 3ms));
  CHECK(b.on_failure(t + 1500ms) == 10ms);
}

namespace {

caf::behavior crasher(caf::event_based_actor*, std::shared_ptr<std::atomic<int>> starts) {
  ++*starts;
  return {
    [](int x) -> int {
      if (x < 0)
        throw std::runtime_error("asked to crash");
      return x;
    },
  };
}

child_spec crasher_spec(const std::string& name, std::shared_ptr<std::atomic<int>> starts) {
  return {name, [starts](caf::actor_system& sys) { return sys.spawn(crasher, starts); }};
}

caf::actor child_of(caf::scoped_actor& self, const caf::actor& sup, const std::string& name) {
  caf::actor out;
  self->request(sup, caf::infinite, caf::get_atom::value, name)
    .receive([&](caf::actor& a) { out = a; }, [](caf::error&) {});
  return out;
}

// Polls the supervisor until `name` runs as a different actor than `old`.
caf::actor wait_for_restart(caf::scoped_actor& self, const caf::actor& sup, const std::string& name,
                            const caf::actor& old) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto a = child_of(self, sup, name); a && a != old)
      return a;
    self->receive(caf::after(5ms) >> [] {}); // a poll interval, not a synchronisation
  }
  return nullptr;
}

} // namespace

TEST_CASE("a crashed child is restarted and its sibling is left alone") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto sup = spawn_supervisor(sys, "test", restart_policy{1ms, 10ms, 2.0, 5, 60s});
  auto a_starts = std::make_shared<std::atomic<int>>(0);
  auto b_starts = std::make_shared<std::atomic<int>>(0);
  self->send(sup, start_atom::value, crasher_spec("a", a_starts));
  self->send(sup, start_atom::value, crasher_spec("b", b_starts));
  auto a = child_of(self, sup, "a");
  auto b = child_of(self, sup, "b");
  REQUIRE(a);
  REQUIRE(b);
  self->send(a, -1);
  auto a2 = wait_for_restart(self, sup, "a", a);
  REQUIRE(a2);
  CHECK(*a_starts == 2);
  CHECK(*b_starts == 1);
  CHECK(child_of(self, sup, "b") == b);
  self->send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE("a child that keeps crashing makes its supervisor escalate and stop its children") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto sup = spawn_supervisor(sys, "test", restart_policy{1ms, 1ms, 1.0, 2, 60s});
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto calm = std::make_shared<std::atomic<int>>(0);
  self->send(sup, start_atom::value, crasher_spec("a", starts));
  self->send(sup, start_atom::value, crasher_spec("calm", calm));
  auto sibling = child_of(self, sup, "calm");
  self->monitor(sup);
  self->monitor(sibling);
  caf::actor current = child_of(self, sup, "a");
  for (int i = 0; i < 2; ++i) {
    self->send(current, -1);
    current = wait_for_restart(self, sup, "a", current);
    REQUIRE(current);
  }
  self->send(current, -1);
  caf::error sup_reason;
  bool sibling_down = false;
  for (int downs = 0; downs < 2; ++downs)
    self->receive([&](caf::down_msg& d) {
      if (d.source == sup.address())
        sup_reason = d.reason;
      else if (d.source == sibling.address())
        sibling_down = true;
    });
  CHECK(is(sup_reason, errc::restart_budget_exhausted));
  CHECK(sibling_down);
  CHECK(*starts == 3);
}

TEST_CASE("a stopped child is not restarted") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto sup = spawn_supervisor(sys, "test", restart_policy{1ms, 1ms, 1.0, 5, 60s});
  auto starts = std::make_shared<std::atomic<int>>(0);
  self->send(sup, start_atom::value, crasher_spec("a", starts));
  auto a = child_of(self, sup, "a");
  self->monitor(a);
  self->send(sup, stop_atom::value, std::string{"a"});
  self->receive([](caf::down_msg&) {});
  CHECK_FALSE(child_of(self, sup, "a"));
  CHECK(*starts == 1);
  self->send_exit(sup, caf::exit_reason::user_shutdown);
}
