// The ledger's group commit (persistence/ledger_store.hpp) against a real
// PostgreSQL: what each entry of a batch becomes, and what the tables hold.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/ledger_store.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"

using namespace troupe::testing;
namespace store = troupe::persistence::ledger_store;
using store::verdict;

namespace {

constexpr std::int64_t incarnation = 7;

// A migrated database in which shard 1 is held by `incarnation` at epoch
// 3, and shard 2 by nobody.
struct ledger_db {
  pg_instance pg;
  pqxx::connection c{pg.dsn()};
  ledger_db() {
    troupe::persistence::migrate(c);
    query(pg.dsn(), "INSERT INTO shard_leases (shard, owner, owner_incarnation, epoch, expires_at)"
                    " VALUES (1, 'test', 7, 3, now() + interval '1 hour'), (2, NULL, NULL, 5, '-infinity')");
  }
};

store::entry entry(const std::string& op_id, const std::string& account, const std::string& kind,
                   std::int64_t expected, std::int64_t amount, int shard = 1, std::int64_t epoch = 3) {
  store::entry e;
  e.op = {op_id, account, kind, "applied", amount < 0 ? -amount : amount, amount, expected + amount, 0, false};
  e.owner = "alice";
  e.expected = expected;
  e.shard = shard;
  e.epoch = epoch;
  return e;
}

std::string balance(const std::string& dsn, const std::string& account) {
  return query_value(dsn, "SELECT balance FROM accounts WHERE id = " + sql_literal(account));
}

std::string ledger_rows(const std::string& dsn, const std::string& account) {
  return query_value(dsn, "SELECT count(*) FROM ledger WHERE account_id = " + sql_literal(account));
}

} // namespace

TEST_CASE("a ledger batch applies what its actors expected and nothing of a stale, fenced or replayed entry",
          "[integration]") {
  ledger_db db;
  auto& c = db.c;
  auto dsn = db.pg.dsn();

  auto opened = store::commit(c, {entry("open-a", "a", "open", 0, 0), entry("open-b", "b", "open", 0, 0)},
                              incarnation);
  REQUIRE(opened.size() == 2);
  CHECK(opened[0].v == verdict::applied);
  CHECK(opened[1].v == verdict::applied);
  CHECK(opened[0].op.at_ms > 0);

  auto first = store::commit(c, {entry("dep-a", "a", "deposit", 0, 10), entry("dep-b", "b", "deposit", 0, 20)},
                             incarnation);
  CHECK(first[0].v == verdict::applied);
  CHECK(first[1].v == verdict::applied);
  CHECK(first[1].op.balance_after == 20);

  // a is at 10, not 5; the lease of shard 2 is nobody's; dep-b is in the ledger.
  auto mixed = store::commit(c,
                             {entry("wrong-a", "a", "withdraw", 5, -5), entry("dep-b-2", "b", "deposit", 20, 1),
                              entry("fenced-c", "c", "deposit", 0, 1, 2, 5), entry("dep-b", "b", "deposit", 0, 20)},
                             incarnation);
  REQUIRE(mixed.size() == 4);
  CHECK(mixed[0].v == verdict::stale);
  CHECK(mixed[1].v == verdict::applied);
  CHECK(mixed[2].v == verdict::fenced);
  CHECK(mixed[3].v == verdict::stale); // b's second entry in one batch: its actor sends them one at a time

  auto replay = store::commit(c, {entry("dep-b", "b", "deposit", 21, 20)}, incarnation);
  CHECK(replay[0].v == verdict::replayed);
  CHECK(replay[0].op.balance_after == 20);

  CHECK(balance(dsn, "a") == "10");
  CHECK(balance(dsn, "b") == "21");
  CHECK(ledger_rows(dsn, "a") == "2");
  CHECK(ledger_rows(dsn, "b") == "3");
  CHECK(query_value(dsn, "SELECT count(*) FROM accounts WHERE id = 'c'") == "0");
  // No transaction is left open on the connection: each statement is its own.
  CHECK(pqxx::nontransaction(c).exec("SELECT now() = statement_timestamp()")[0][0].as<bool>());
}

TEST_CASE("a ledger batch that cannot commit throws and leaves its connection usable, with nothing written",
          "[integration]") {
  ledger_db db;
  auto& c = db.c;
  auto dsn = db.pg.dsn();
  store::commit(c, {entry("open-a", "a", "open", 0, 0)}, incarnation);

  // A balance below zero breaks a CHECK: the whole batch rolls back.
  CHECK_THROWS(store::commit(c, {entry("over-a", "a", "withdraw", 0, -1), entry("open-d", "d", "open", 0, 0)},
                             incarnation));
  CHECK(query_value(dsn, "SELECT count(*) FROM accounts WHERE id = 'd'") == "0");

  auto after = store::commit(c, {entry("dep-a", "a", "deposit", 0, 3)}, incarnation);
  CHECK(after[0].v == verdict::applied);
  CHECK(balance(dsn, "a") == "3");
}
