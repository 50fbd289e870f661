#pragma once

#include <cstdint>
#include <string>

// Billing's tables read straight from PostgreSQL, for what a test checks
// beyond the API's answers.
namespace troupe::testing {

// What breaks billing's invariants in the whole database, a line each;
// empty when nothing does. For every account: balance == sum(ledger.amount)
// and balance >= 0; and each ledger row's balance_after is the one before
// it plus its amount (a refused row: amount 0), so that no row was lost or
// written against a stale balance.
std::string ledger_violations(const std::string& dsn);

// Checks, as a Catch assertion, that ledger_violations() is empty, and
// prints them when not.
void check_ledger_invariants(const std::string& dsn);

// accounts.balance of `account`; throws when there is no such account.
std::int64_t balance_in_db(const std::string& dsn, const std::string& account);

} // namespace troupe::testing
