#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of billing. Amounts are integer minor units.
//
// An account is an entity (topology/entity_host.hpp) under accounts_name,
// sharded by its id; reach it by routing entity_message(id, ...):
//   (open_atom, owner, op_id)            -> account; opening an existing
//        account of the same owner returns it; of another owner: conflict
//   (deposit_atom, op_id, amount, by)   -> operation
//   (withdraw_atom, op_id, amount, by)  -> operation; outcome "refused"
//        (nothing changed) when amount > balance
//        `by`: the user asking, who must own the account (errc::forbidden
//        otherwise); empty for the system itself (sagas, admins)
// An op_id names one operation for good: a repeat returns the first
// operation (replayed = true) and changes nothing; a repeat that asks for
// something else is errc::idempotency_key_reused; one while the first is
// still running is errc::request_in_progress. Unknown account: not_found.
namespace troupe::billing {

using open_atom = caf::atom_constant<caf::atom("open")>;
using deposit_atom = caf::atom_constant<caf::atom("deposit")>;
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;

constexpr caf::atom_value accounts_name = caf::atom("accounts");
constexpr caf::atom_value ledger_writer_name = caf::atom("ledger");

struct account {
  std::string id;
  std::string owner;
  std::int64_t balance = 0;
  std::int64_t created_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account& x) {
  return f(caf::meta::type_name("troupe.account"), x.id, x.owner, x.balance, x.created_at_ms);
}

struct operation {
  std::string op_id;
  std::string account_id;
  std::string kind;    // open, deposit, withdraw
  std::string outcome; // applied, refused
  std::int64_t requested = 0;
  std::int64_t amount = 0; // the signed change of the balance
  std::int64_t balance_after = 0;
  std::int64_t at_ms = 0;
  bool replayed = false; // answered from the ledger: the op_id had been seen
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operation& x) {
  return f(caf::meta::type_name("troupe.operation"), x.op_id, x.account_id, x.kind, x.outcome, x.requested, x.amount,
           x.balance_after, x.at_ms, x.replayed);
}

} // namespace troupe::billing
