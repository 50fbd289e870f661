#pragma once

#include <string>
#include <utility>

#include <pqxx/transaction_base>

namespace troupe::persistence {

// The name under which `sql` is prepared on `c`. libpqxx prepares it on the
// server at its first execution (again on a new connection), so a hot
// statement is parsed and planned once per connection instead of per call:
// planning alone was a third of PostgreSQL's time in an order saga.
std::string prepared(pqxx::connection_base& c, const std::string& sql);

// `tx.exec_params(sql, args...)`, prepared.
template <class... Args>
pqxx::result exec_prepared(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_prepared(prepared(tx.conn(), sql), std::forward<Args>(args)...);
}

// `tx.exec_params1(sql, args...)`, prepared.
template <class... Args>
pqxx::row exec_prepared1(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_prepared1(prepared(tx.conn(), sql), std::forward<Args>(args)...);
}

} // namespace troupe::persistence
