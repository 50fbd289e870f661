#pragma once

#include <vector>

namespace pqxx {
class connection_base;
}

namespace troupe::persistence {

struct migration {
  int version;
  const char* name;
  const char* sql;
};

// persistence/migrations/NNNN_name.sql, in order (generated at build time).
const std::vector<migration>& all_migrations();

// Applies the missing migrations in one transaction under an advisory lock,
// so that nodes starting together apply each exactly once. Returns how many
// it applied.
int migrate(pqxx::connection_base& conn);

} // namespace troupe::persistence
