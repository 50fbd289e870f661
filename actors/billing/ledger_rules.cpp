#include "actors/billing/ledger_rules.hpp"

#include <limits>

#include "runtime/errors.hpp"

namespace troupe::billing {

caf::expected<operation> decide(const std::string& kind, std::int64_t requested, std::int64_t balance) {
  operation op;
  op.kind = kind;
  op.requested = requested;
  op.outcome = "applied";
  if (kind == "deposit") {
    if (requested > std::numeric_limits<std::int64_t>::max() - balance)
      return make_error(errc::invalid_argument, "amount: the balance would overflow");
    op.amount = requested;
  } else if (kind == "withdraw") {
    if (requested > balance)
      op.outcome = "refused";
    else
      op.amount = -requested;
  }
  op.balance_after = balance + op.amount;
  return op;
}

} // namespace troupe::billing
