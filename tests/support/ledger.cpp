#include "tests/support/ledger.hpp"

#include <catch2/catch.hpp>

#include "tests/support/sql.hpp"

namespace troupe::testing {

std::string ledger_violations(const std::string& dsn) {
  auto balances = query(dsn, "SELECT 'account ' || a.id || ': balance ' || a.balance || ', ledger sum '"
                             " || coalesce(sum(l.amount), 0)"
                             " FROM accounts a LEFT JOIN ledger l ON l.account_id = a.id GROUP BY a.id"
                             " HAVING a.balance <> coalesce(sum(l.amount), 0) OR a.balance < 0");
  auto chain = query(dsn, "SELECT 'ledger row ' || id || ' (' || op_id || ', ' || kind || ' ' || outcome"
                          " || '): balance_after ' || balance_after || ' after ' || before || ' and amount '"
                          " || amount FROM (SELECT *, lag(balance_after, 1, 0::bigint) OVER"
                          " (PARTITION BY account_id ORDER BY id) AS before FROM ledger) l"
                          " WHERE balance_after <> before + amount OR (outcome = 'refused' AND amount <> 0)");
  std::string out;
  for (auto* rows : {&balances, &chain})
    for (auto& row : *rows)
      out += row[0] + "\n";
  return out;
}

void check_ledger_invariants(const std::string& dsn) {
  auto violations = ledger_violations(dsn);
  INFO("accounts and ledger rows that break billing's invariants:\n" << violations);
  CHECK(violations.empty());
}

std::int64_t balance_in_db(const std::string& dsn, const std::string& account) {
  return std::stoll(query_value(dsn, "SELECT balance FROM accounts WHERE id = " + sql_literal(account)));
}

} // namespace troupe::testing
