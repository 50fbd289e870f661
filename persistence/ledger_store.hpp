#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/billing/messages.hpp"

namespace pqxx {
class connection_base;
}

// SQL of accounts and their ledger (0006_billing.sql). Every function runs
// on a pg_pool worker.
namespace troupe::persistence::ledger_store {

// One operation as an account actor decided it, from the balance it holds.
struct entry {
  billing::operation op; // op.amount and op.balance_after already decided
  std::string owner;     // for an open
  std::int64_t expected = 0; // the balance before, as the actor knows it
  int shard = 0;         // the lease the account runs under
  std::int64_t epoch = 0;
};

enum class verdict : std::uint8_t {
  applied,  // committed; `op` is the row
  replayed, // the op_id was in the ledger already; `op` is that first row
  fenced,   // the lease is no longer this node's at that epoch: nothing written
  stale,    // the balance was not what the actor expected: nothing written
};

struct outcome {
  verdict v = verdict::applied;
  billing::operation op;
};

// Commits `entries` in one transaction, fenced by their leases, and says
// what became of each, in order. At most one entry per account (later
// ones come back stale). Throws when the batch cannot commit as a whole
// (an op_id raced in from another transaction): commit the entries one
// at a time then.
std::vector<outcome> commit(pqxx::connection_base& c, const std::vector<entry>& entries, std::int64_t incarnation);

std::optional<billing::account> find(pqxx::connection_base& c, const std::string& id);

// The accounts of `owner`, oldest first.
std::vector<billing::account> owned_by(pqxx::connection_base& c, const std::string& owner);

// An account's last `limit` operations, newest first.
std::vector<billing::operation> history(pqxx::connection_base& c, const std::string& account_id, int limit);

} // namespace troupe::persistence::ledger_store
