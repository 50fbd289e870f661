#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include <pqxx/transaction_base>

#include "persistence/group_commit.hpp"

namespace troupe::persistence {

// The name under which `sql` is prepared on `c`. libpqxx prepares it on the
// server at its first execution (again on a new connection), so a hot
// statement is parsed and planned once per connection instead of per call
// (the pool sets plan_cache_mode = force_generic_plan):
// planning was a fifth of PostgreSQL's CPU in an order saga. Not for
// statements that look rows of a growing table up through arrays
// (`= ANY($1)`): PostgreSQL may settle on a generic plan for them, made once
// with the statistics of that moment, and that made deposits 2.4x slower.
// The ledger's write, which joins arrays to accounts by their key, is
// prepared: planning it took 135 us a call against 190 us to run it in an
// order saga, and its generic plan runs deposits as fast.
std::string prepared(pqxx::connection_base& c, const std::string& sql);

// `EXECUTE name('arg', ...)`: `sql` prepared on tx's connection, run by
// text, so that it can go in one round trip with other statements.
std::string execute_quoted(pqxx::transaction_base& tx, const std::string& sql,
                           std::initializer_list<std::string> quoted);

template <class... Args>
std::string execute_text(pqxx::transaction_base& tx, const std::string& sql, const Args&... args) {
  return execute_quoted(tx, sql, {tx.quote(args)...});
}

// `tx.exec_params(sql, args...)`, prepared.
template <class... Args>
pqxx::result exec_prepared(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_prepared(prepared(tx.conn(), sql), std::forward<Args>(args)...);
}

// Runs `sql` with `args` in `b`, prepared, in one round trip with the
// statements of the batch's other jobs, once every job has run; `then`
// gets the result. A statement that fails fails the batch.
template <class... Args>
void pipelined(group_commit::batch& b, group_commit::batch::result_fn then, const std::string& sql,
               const Args&... args) {
  b.pipeline(execute_text(b.tx, sql, args...), std::move(then));
}

// Runs `sql` with `args` when `b` commits, prepared, in the round trip of
// the COMMIT: for writes whose result nobody reads. Its failure fails the
// batch, so a job that refuses must refuse before deferring anything.
template <class... Args>
void defer(group_commit::batch& b, const std::string& sql, const Args&... args) {
  b.defer(execute_text(b.tx, sql, args...));
}

} // namespace troupe::persistence
