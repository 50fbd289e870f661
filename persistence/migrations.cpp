#include "persistence/migrations.hpp"

#include <set>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

namespace troupe::persistence {

int migrate(pqxx::connection_base& conn) {
  pqxx::work tx(conn);
  // An arbitrary constant that only Troupe's migrator takes.
  tx.exec("SELECT pg_advisory_xact_lock(7263548190)");
  tx.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  std::set<int> applied;
  for (auto row : tx.exec("SELECT version FROM schema_migrations"))
    applied.insert(row[0].as<int>());
  int count = 0;
  for (auto& m : all_migrations()) {
    if (applied.count(m.version))
      continue;
    tx.exec(m.sql);
    tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name);
    spdlog::info("applied migration {}", m.name);
    ++count;
  }
  tx.commit();
  return count;
}

} // namespace troupe::persistence
