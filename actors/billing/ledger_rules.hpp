#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "actors/billing/messages.hpp"

// The rule an account applies before it writes: what an operation does to
// a balance. Apart from the actor, so that its invariants are tested alone.
namespace troupe::billing {

// The operation of `kind` ("open", "deposit", "withdraw") asking for
// `requested` on an account holding `balance` (>= 0): its outcome, signed
// amount and balance_after (op_id and account_id are left to the caller).
// A withdraw beyond the balance is refused, amount 0; the balance never goes
// below zero. A deposit that would overflow is errc::invalid_argument.
caf::expected<operation> decide(const std::string& kind, std::int64_t requested, std::int64_t balance);

} // namespace troupe::billing
