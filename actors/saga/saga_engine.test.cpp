#include "actors/saga/saga_engine.hpp"

#include <catch2/catch.hpp>

using namespace troupe::saga;
using troupe::milliseconds;

namespace {

// The order saga's shape: create (compensable), withdraw (pivot), confirm, notify.
const std::vector<step_shape> order{
  {"order create", true, false}, {"billing withdraw", false, true}, {"order confirm", false, false},
  {"notify", false, false}};

position running(int step) {
  return {saga_state::running, step};
}

} // namespace

TEST_CASE("a saga runs its steps in order and completes after the last") {
  auto at = start(order);
  CHECK(at == running(0));
  for (int i = 1; i < 4; ++i) {
    at = advance(order, at, step_result::succeeded);
    CHECK(at == running(i));
  }
  CHECK(advance(order, at, step_result::succeeded).state == saga_state::completed);
}

TEST_CASE("a saga without steps is completed from the start") {
  CHECK(start({}).state == saga_state::completed);
}

TEST_CASE("an infrastructure failure retries the same step, wherever it is") {
  for (int i = 0; i < 4; ++i)
    CHECK(advance(order, running(i), step_result::retry) == running(i));
  position compensating{saga_state::compensating, 0};
  CHECK(advance(order, compensating, step_result::retry) == compensating);
}

TEST_CASE("a business failure of the pivot compensates the steps before it in reverse") {
  auto at = advance(order, running(1), step_result::failed);
  CHECK(at == position{saga_state::compensating, 0});
  CHECK(advance(order, at, step_result::succeeded).state == saga_state::compensated);
}

TEST_CASE("a business failure of the first step has nothing to compensate") {
  CHECK(advance(order, running(0), step_result::failed).state == saga_state::compensated);
}

TEST_CASE("a business failure after the pivot retries forward") {
  CHECK(advance(order, running(2), step_result::failed) == running(2));
  CHECK(advance(order, running(3), step_result::failed) == running(3));
}

TEST_CASE("a compensation that fails in any way is tried again") {
  position at{saga_state::compensating, 0};
  CHECK(advance(order, at, step_result::failed) == at);
}

TEST_CASE("steps without a compensation are skipped while compensating") {
  std::vector<step_shape> steps{{"a", true, false}, {"b", false, false}, {"c", true, false}, {"d", false, true}};
  auto at = advance(steps, running(3), step_result::failed);
  CHECK(at == position{saga_state::compensating, 2});
  at = advance(steps, at, step_result::succeeded);
  CHECK(at == position{saga_state::compensating, 0});
  CHECK(advance(steps, at, step_result::succeeded).state == saga_state::compensated);
}

TEST_CASE("without a pivot every step's business failure compensates") {
  std::vector<step_shape> steps{{"a", true, false}, {"b", false, false}};
  CHECK(advance(steps, running(1), step_result::failed) == position{saga_state::compensating, 0});
}

TEST_CASE("a finished saga stays where it is") {
  position done{saga_state::completed, 3};
  CHECK(advance(order, done, step_result::failed) == done);
}

TEST_CASE("saga states read back from their names") {
  for (auto s : {saga_state::running, saga_state::compensating, saga_state::completed, saga_state::compensated})
    CHECK(parse_state(to_string(s)) == s);
  CHECK_FALSE(parse_state("paused"));
}

TEST_CASE("backoff doubles from the initial delay up to the cap, jittered within its upper half") {
  milliseconds initial{1000}, max{60'000};
  CHECK(backoff(2, initial, 2.0, max, 0.0) == milliseconds{500});
  CHECK(backoff(2, initial, 2.0, max, 0.999999) == milliseconds{999});
  CHECK(backoff(3, initial, 2.0, max, 0.0) == milliseconds{1000});
  CHECK(backoff(4, initial, 2.0, max, 0.0) == milliseconds{2000});
  CHECK(backoff(30, initial, 2.0, max, 0.0) == milliseconds{30'000});
  CHECK(backoff(30, initial, 2.0, max, 1.0) == milliseconds{60'000});
}

namespace {

// The registration saga's shape: client add (compensable), user register
// (pivot), client approve, billing create account, notify.
const std::vector<step_shape> registration{{"client add", true, false},
                                           {"user register", false, true},
                                           {"client approve", false, false},
                                           {"billing create account", false, false},
                                           {"notify", false, false}};

position compensating(int step) {
  return {saga_state::compensating, step};
}

position completed(int step) {
  return {saga_state::completed, step};
}

position compensated(int step) {
  return {saga_state::compensated, step};
}

struct transition {
  position at;
  step_result result;
  position next;
};

const char* name_of(step_result r) {
  switch (r) {
    case step_result::succeeded: return "succeeded";
    case step_result::failed: return "failed";
    case step_result::retry: return "retry";
  }
  return "?";
}

void check_transitions(const std::vector<step_shape>& steps, const std::vector<transition>& table) {
  for (auto& t : table) {
    INFO(to_string(t.at.state) << " at step " << t.at.step << " (" << steps.at(t.at.step).name << "), "
                               << name_of(t.result));
    auto next = advance(steps, t.at, t.result);
    INFO("went to " << to_string(next.state) << " at step " << next.step);
    CHECK(next == t.next);
  }
}

} // namespace

TEST_CASE("the registration saga: every step succeeding, failing for a business reason, or for want of "
          "infrastructure") {
  using r = step_result;
  check_transitions(registration, {
                                    {running(0), r::succeeded, running(1)},
                                    {running(0), r::failed, compensated(0)},
                                    {running(0), r::retry, running(0)},
                                    {running(1), r::succeeded, running(2)},
                                    {running(1), r::failed, compensating(0)},
                                    {running(1), r::retry, running(1)},
                                    {running(2), r::succeeded, running(3)},
                                    {running(2), r::failed, running(2)},
                                    {running(2), r::retry, running(2)},
                                    {running(3), r::succeeded, running(4)},
                                    {running(3), r::failed, running(3)},
                                    {running(3), r::retry, running(3)},
                                    {running(4), r::succeeded, completed(4)},
                                    {running(4), r::failed, running(4)},
                                    {running(4), r::retry, running(4)},
                                    {compensating(0), r::succeeded, compensated(0)},
                                    {compensating(0), r::failed, compensating(0)},
                                    {compensating(0), r::retry, compensating(0)},
                                  });
}

TEST_CASE("the order saga: every step succeeding, failing for a business reason, or for want of infrastructure") {
  using r = step_result;
  check_transitions(order, {
                             {running(0), r::succeeded, running(1)},
                             {running(0), r::failed, compensated(0)},
                             {running(0), r::retry, running(0)},
                             {running(1), r::succeeded, running(2)},
                             {running(1), r::failed, compensating(0)},
                             {running(1), r::retry, running(1)},
                             {running(2), r::succeeded, running(3)},
                             {running(2), r::failed, running(2)},
                             {running(2), r::retry, running(2)},
                             {running(3), r::succeeded, completed(3)},
                             {running(3), r::failed, running(3)},
                             {running(3), r::retry, running(3)},
                             {compensating(0), r::succeeded, compensated(0)},
                             {compensating(0), r::failed, compensating(0)},
                             {compensating(0), r::retry, compensating(0)},
                           });
}

TEST_CASE("a step whose own action failed is not compensated, only the steps before it") {
  std::vector<step_shape> steps{{"a", true, false}, {"b", true, true}, {"c", true, false}};
  CHECK(advance(steps, running(1), step_result::failed) == compensating(0));
  CHECK(advance(steps, running(0), step_result::failed) == compensated(0));
}

TEST_CASE("a compensation that fails while others are still to come is tried again, then the rest follow") {
  std::vector<step_shape> steps{{"a", true, false}, {"b", true, false}, {"c", false, true}};
  auto at = advance(steps, running(2), step_result::failed);
  CHECK(at == compensating(1));
  CHECK(advance(steps, at, step_result::failed) == compensating(1));
  CHECK(advance(steps, at, step_result::retry) == compensating(1));
  at = advance(steps, at, step_result::succeeded);
  CHECK(at == compensating(0));
  CHECK(advance(steps, at, step_result::failed) == compensating(0));
  CHECK(advance(steps, at, step_result::succeeded) == compensated(0));
}

TEST_CASE("a pivot as the first step: its failure has nothing to undo, and every step after it retries forward") {
  std::vector<step_shape> steps{{"charge", false, true}, {"ship", true, false}, {"notify", false, false}};
  CHECK(advance(steps, running(0), step_result::failed) == compensated(0));
  CHECK(advance(steps, running(1), step_result::failed) == running(1));
  CHECK(advance(steps, running(2), step_result::failed) == running(2));
}

TEST_CASE("a pivot as the last step: every failure compensates") {
  std::vector<step_shape> steps{{"a", true, false}, {"b", true, false}, {"commit", false, true}};
  CHECK(advance(steps, running(0), step_result::failed) == compensated(0));
  CHECK(advance(steps, running(1), step_result::failed) == compensating(0));
  CHECK(advance(steps, running(2), step_result::failed) == compensating(1));
  CHECK(advance(steps, running(2), step_result::succeeded) == completed(2));
}

TEST_CASE("of several steps marked pivot, the first commits the saga") {
  std::vector<step_shape> steps{{"a", true, false}, {"p1", false, true}, {"b", true, false}, {"p2", false, true}};
  CHECK(advance(steps, running(1), step_result::failed) == compensating(0));
  CHECK(advance(steps, running(3), step_result::failed) == running(3));
}

TEST_CASE("a compensated saga stays compensated, whatever is reported after") {
  for (auto result : {step_result::succeeded, step_result::failed, step_result::retry}) {
    CHECK(advance(order, compensated(0), result) == compensated(0));
    CHECK(advance(order, completed(3), result) == completed(3));
  }
}

TEST_CASE("backoff treats attempts before the second as the first retry, clamps the jitter and never exceeds the "
          "cap") {
  milliseconds initial{1000}, max{60'000};
  CHECK(backoff(0, initial, 2.0, max, 0.0) == milliseconds{500});
  CHECK(backoff(1, initial, 2.0, max, 0.0) == milliseconds{500});
  CHECK(backoff(2, initial, 2.0, max, -1.0) == milliseconds{500});
  CHECK(backoff(2, initial, 2.0, max, 5.0) == milliseconds{1000});
  // A cap below the initial delay wins.
  CHECK(backoff(2, initial, 2.0, milliseconds{200}, 1.0) == milliseconds{200});
  // A multiplier of 1 keeps the delay where it started.
  CHECK(backoff(10, initial, 1.0, max, 1.0) == milliseconds{1000});
  // Far beyond any real attempt, the cap holds (no overflow).
  CHECK(backoff(10'000, initial, 2.0, max, 1.0) == milliseconds{60'000});
  for (int attempt = 2; attempt < 40; ++attempt) {
    INFO("attempt " << attempt);
    auto low = backoff(attempt, initial, 2.0, max, 0.0);
    auto high = backoff(attempt, initial, 2.0, max, 1.0);
    CHECK(low * 2 == high);
    CHECK(high <= max);
    if (attempt > 2)
      CHECK(high >= backoff(attempt - 1, initial, 2.0, max, 1.0));
  }
}
