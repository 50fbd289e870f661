#include "actors/billing/ledger_rules.hpp"

#include <cstdint>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

#include "runtime/errors.hpp"

using namespace troupe;
using namespace troupe::billing;

namespace {

operation decided(const std::string& kind, std::int64_t requested, std::int64_t balance) {
  auto op = decide(kind, requested, balance);
  REQUIRE(op);
  CHECK(op->kind == kind);
  CHECK(op->requested == requested);
  return *op;
}

} // namespace

TEST_CASE("a deposit adds its amount to the balance", "[unit]") {
  auto op = decided("deposit", 250, 100);
  CHECK(op.outcome == "applied");
  CHECK(op.amount == 250);
  CHECK(op.balance_after == 350);
}

TEST_CASE("a withdraw up to the whole balance is applied as a negative amount", "[unit]") {
  auto some = decided("withdraw", 40, 100);
  CHECK(some.outcome == "applied");
  CHECK(some.amount == -40);
  CHECK(some.balance_after == 60);
  auto all = decided("withdraw", 100, 100);
  CHECK(all.outcome == "applied");
  CHECK(all.balance_after == 0);
}

TEST_CASE("a withdraw larger than the balance is refused and changes nothing", "[unit]") {
  for (std::int64_t balance : {0, 1, 99}) {
    auto op = decided("withdraw", 100, balance);
    CHECK(op.outcome == "refused");
    CHECK(op.amount == 0);
    CHECK(op.balance_after == balance);
  }
}

TEST_CASE("an opening starts at zero", "[unit]") {
  auto op = decided("open", 0, 0);
  CHECK(op.outcome == "applied");
  CHECK(op.amount == 0);
  CHECK(op.balance_after == 0);
}

TEST_CASE("a deposit that would overflow the balance is refused as invalid", "[unit]") {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  CHECK(decided("deposit", 1, max - 1).balance_after == max);
  auto over = decide("deposit", 2, max - 1);
  REQUIRE_FALSE(over);
  CHECK(is(over.error(), errc::invalid_argument));
  CHECK(error_message(over.error()).find("overflow") != std::string::npos);
}

TEST_CASE("any sequence of deposits and withdrawals keeps the balance equal to the sum of its ledger and never "
          "below zero",
          "[unit]") {
  std::mt19937_64 rng(GENERATE(1, 2, 3, 4, 5));
  std::uniform_int_distribution<std::int64_t> amount(1, 1000);
  std::int64_t balance = decided("open", 0, 0).balance_after;
  std::int64_t ledger_sum = 0, refused = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto kind = rng() % 2 ? "deposit" : "withdraw";
    auto op = decided(kind, amount(rng), balance);
    INFO("operation " << i << ": " << kind << " of " << op.requested << " on " << balance);
    CHECK(op.balance_after == balance + op.amount);
    CHECK(op.balance_after >= 0);
    CHECK((op.outcome == "refused") == (op.kind == "withdraw" && op.requested > balance));
    if (op.outcome == "refused")
      ++refused;
    ledger_sum += op.amount;
    balance = op.balance_after;
    REQUIRE(balance == ledger_sum);
  }
  // Both branches were taken: the sequence tested what it claims to.
  CHECK(refused > 0);
  CHECK(refused < 10'000);
}
