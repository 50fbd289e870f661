#include "persistence/prepared.hpp"

#include <functional>

#include <pqxx/connection_base>

namespace troupe::persistence {

std::string prepared(pqxx::connection_base& c, const std::string& sql) {
  // Same name, same text: libpqxx keeps the first definition. A hash
  // collision of two statements would make it throw, not run the wrong one.
  auto name = "t" + std::to_string(std::hash<std::string>{}(sql));
  c.prepare(name, sql);
  return name;
}

} // namespace troupe::persistence
