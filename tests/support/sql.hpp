#pragma once

#include <functional>
#include <string>
#include <vector>

// Straight to the database, for what the API does not show: who wrote a
// check, under which lease.
namespace troupe::testing {

using sql_rows = std::vector<std::vector<std::string>>;

// Runs `statement` on a connection of its own, in a transaction that is
// committed, and returns its rows as text; NULL reads as "". Throws what
// libpqxx throws, e.g. when the database is down.
sql_rows query(const std::string& dsn, const std::string& statement);

// The first column of the first row; throws std::runtime_error when there
// is no row.
std::string query_value(const std::string& dsn, const std::string& statement);

// `text` as an SQL string literal: 'it''s'.
std::string sql_literal(const std::string& text);

// 'a', 'b', 'c': for IN (...) and ARRAY[...].
std::string sql_list(const std::vector<std::string>& texts);

// Rows as lines of " | "-separated fields, for a failure message.
std::string text_of(const sql_rows& rows);

// For a failure_context: the lease table, which is what a failover is about.
std::function<std::string()> lease_table(const std::string& dsn);

} // namespace troupe::testing
