#include "persistence/prepared.hpp"

#include <functional>

#include <pqxx/connection_base>
#include <pqxx/transaction_base>

namespace troupe::persistence {

std::string prepared(pqxx::connection_base& c, const std::string& sql) {
  // Same name, same text: libpqxx keeps the first definition. A hash
  // collision of two statements would make it throw, not run the wrong one.
  auto name = "t" + std::to_string(std::hash<std::string>{}(sql));
  c.prepare(name, sql);
  return name;
}

std::string execute_quoted(pqxx::transaction_base& tx, const std::string& sql,
                           std::initializer_list<std::string> quoted) {
  auto name = prepared(tx.conn(), sql);
  tx.conn().prepare_now(name);
  auto out = "EXECUTE " + name;
  const char* sep = "(";
  for (auto& q : quoted) {
    out += sep + q;
    sep = ", ";
  }
  return quoted.size() == 0 ? out : out + ")";
}

} // namespace troupe::persistence
