#include "persistence/lease_store.hpp"

#include <pqxx/pqxx>

#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

namespace troupe::persistence::lease_store {

void ensure_shards(pqxx::connection_base& c, int shards) {
  pqxx::work tx(c);
  tx.exec_params("INSERT INTO shard_leases (shard) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING", shards);
  tx.commit();
}

std::vector<lease_row> tick(pqxx::connection_base& c, const lease_tick& t) {
  pqxx::work tx(c);
  // Rows are locked in shard order first: two nodes' ticks then wait for
  // each other, never deadlock. Only the rows whose owner changes are
  // locked FOR UPDATE, which fenced writes (FOR KEY SHARE) wait for; a
  // renewal (FOR NO KEY UPDATE) lets them run on.
  auto touched = t.release;
  touched.insert(touched.end(), t.acquire.begin(), t.acquire.end());
  tx.exec_params("SELECT 1 FROM shard_leases WHERE shard = ANY($1::int[]) ORDER BY shard FOR UPDATE",
                 int_array(touched));
  tx.exec_params("SELECT 1 FROM shard_leases WHERE owner_incarnation = $2 AND shard <> ALL($1::int[])"
                 " ORDER BY shard FOR NO KEY UPDATE",
                 int_array(touched), t.incarnation);
  if (!t.release.empty())
    tx.exec_params("UPDATE shard_leases SET owner = NULL, owner_incarnation = NULL, expires_at = '-infinity'"
                   " WHERE shard = ANY($1::int[]) AND owner_incarnation = $2",
                   int_array(t.release), t.incarnation);
  tx.exec_params("UPDATE shard_leases SET expires_at = now() + $2 * interval '1 millisecond'"
                 " WHERE owner_incarnation = $1",
                 t.incarnation, static_cast<std::int64_t>(t.lease_time.count()));
  if (!t.acquire.empty())
    tx.exec_params("UPDATE shard_leases SET owner = $2, owner_incarnation = $3, epoch = epoch + 1,"
                   " expires_at = now() + $4 * interval '1 millisecond'"
                   " WHERE shard = ANY($1::int[]) AND owner_incarnation IS DISTINCT FROM $3"
                   " AND (owner_incarnation IS NULL OR expires_at < now() OR owner_incarnation = ANY($5::bigint[]))",
                   int_array(t.acquire), t.name, t.incarnation, static_cast<std::int64_t>(t.lease_time.count()),
                   int_array(t.dead));
  std::vector<lease_row> out;
  for (auto row : tx.exec("SELECT shard, coalesce(owner, ''), coalesce(owner_incarnation, 0), epoch,"
                          " expires_at > now() FROM shard_leases ORDER BY shard"))
    out.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::int64_t>(),
                   row[3].as<std::int64_t>(), row[4].as<bool>()});
  tx.commit();
  return out;
}

bool holds(pqxx::transaction_base& tx, int shard, std::int64_t incarnation) {
  return !exec_prepared(tx, "SELECT 1 FROM shard_leases WHERE shard = $1 AND owner_incarnation = $2"
                            " AND expires_at > now() FOR KEY SHARE",
                            shard, incarnation)
            .empty();
}

namespace {

// Prepared: a batch's shards differ every time, and planning the lease
// check anew cost as much as running it.
const std::string held_sql = "SELECT shard, epoch FROM shard_leases WHERE owner_incarnation = $1"
                             " AND shard = ANY($2::int[]) ORDER BY shard FOR KEY SHARE";

std::map<int, std::int64_t> to_epochs(const pqxx::result& r) {
  std::map<int, std::int64_t> out;
  for (auto row : r)
    out.emplace(row[0].as<int>(), row[1].as<std::int64_t>());
  return out;
}

} // namespace

std::map<int, std::int64_t> held(pqxx::transaction_base& tx, std::vector<int> shards, std::int64_t incarnation) {
  return to_epochs(exec_prepared(tx, held_sql, incarnation, int_array(shards)));
}

std::map<int, std::int64_t> begin_holding(pqxx::transaction_base& tx, const std::set<int>& shards,
                                          std::int64_t incarnation) {
  if (shards.empty()) {
    tx.exec("BEGIN");
    return {};
  }
  return to_epochs(tx.exec(
    "BEGIN; " + execute_text(tx, held_sql, incarnation, int_array(std::vector<int>(shards.begin(), shards.end())))));
}

void release_all(pqxx::connection_base& c, std::int64_t incarnation) {
  pqxx::work tx(c);
  tx.exec_params("UPDATE shard_leases SET owner = NULL, owner_incarnation = NULL, expires_at = '-infinity'"
                 " WHERE owner_incarnation = $1",
                 incarnation);
  tx.commit();
}

} // namespace troupe::persistence::lease_store
