#include "actors/saga/saga_definition.hpp"

#include <catch2/catch.hpp>

#include <caf/sec.hpp>

#include "runtime/errors.hpp"

using namespace troupe::saga;
using troupe::errc;

namespace {

void nothing(caf::event_based_actor*, const step_call&, std::function<void(step_reply)>) {}

} // namespace

TEST_CASE("a step's error from infrastructure is retried, and the step's row keeps its message") {
  for (auto code : {errc::unavailable, errc::timeout, errc::overloaded, errc::internal, errc::restart_budget_exhausted,
                    errc::request_in_progress, errc::lease_lost}) {
    INFO(troupe::to_string(code));
    auto r = reply_to(troupe::make_error(code, "what happened"));
    CHECK(r.result == step_result::retry);
    CHECK(r.error == "what happened");
    CHECK(r.context == nlohmann::json::object());
  }
}

TEST_CASE("a step's business error fails it, with its message") {
  for (auto code : {errc::invalid_argument, errc::not_found, errc::conflict, errc::unauthenticated, errc::forbidden,
                    errc::insufficient_funds, errc::idempotency_key_reused}) {
    INFO(troupe::to_string(code));
    auto r = reply_to(troupe::make_error(code, "login 'bob' is taken"));
    CHECK(r.result == step_result::failed);
    CHECK(r.error == "login 'bob' is taken");
  }
}

TEST_CASE("CAF's own errors, such as a request that timed out or an actor that went down, are retried") {
  for (auto code : {caf::sec::request_timeout, caf::sec::request_receiver_down, caf::sec::no_route_to_receiving_node,
                    caf::sec::unexpected_message}) {
    INFO(caf::to_string(code));
    auto r = reply_to(caf::make_error(code));
    CHECK(r.result == step_result::retry);
    CHECK_FALSE(r.error.empty());
  }
}

TEST_CASE("a definition's shape says which steps can be compensated and which one is the pivot") {
  saga_definition d{"t", {{"add", nothing, nothing, false}, {"charge", nothing, nullptr, true},
                          {"notify", nothing, nullptr, false}}};
  auto shape = d.shape();
  REQUIRE(shape.size() == 3);
  CHECK(shape[0].name == "add");
  CHECK(shape[0].compensable);
  CHECK_FALSE(shape[0].pivot);
  CHECK_FALSE(shape[1].compensable);
  CHECK(shape[1].pivot);
  CHECK_FALSE(shape[2].compensable);
  CHECK_FALSE(shape[2].pivot);
}
