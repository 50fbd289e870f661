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
