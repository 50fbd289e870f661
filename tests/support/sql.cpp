#include "tests/support/sql.hpp"

#include <stdexcept>

#include <pqxx/pqxx>

namespace troupe::testing {

sql_rows query(const std::string& dsn, const std::string& statement) {
  pqxx::connection c(dsn);
  pqxx::work tx(c);
  auto result = tx.exec(statement);
  tx.commit();
  sql_rows rows;
  for (const auto& row : result) {
    std::vector<std::string> fields;
    for (const auto& field : row)
      fields.emplace_back(field.is_null() ? "" : field.c_str());
    rows.push_back(std::move(fields));
  }
  return rows;
}

std::string query_value(const std::string& dsn, const std::string& statement) {
  auto rows = query(dsn, statement);
  if (rows.empty() || rows[0].empty())
    throw std::runtime_error("no value from: " + statement);
  return rows[0][0];
}

std::string sql_literal(const std::string& text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'')
      out += '\'';
    out += ch;
  }
  return out + "'";
}

std::string sql_list(const std::vector<std::string>& texts) {
  std::string out;
  for (auto& t : texts)
    out += (out.empty() ? "" : ", ") + sql_literal(t);
  return out;
}

std::string text_of(const sql_rows& rows) {
  std::string out;
  for (auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      out += (i ? " | " : "") + row[i];
    out += "\n";
  }
  return out;
}

std::function<std::string()> lease_table(const std::string& dsn) {
  return [dsn] {
    return text_of(query(dsn, "SELECT shard, owner, owner_incarnation, epoch, expires_at, now() FROM shard_leases"
                              " ORDER BY shard"));
  };
}

} // namespace troupe::testing
