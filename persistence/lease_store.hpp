#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/config.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
} // namespace pqxx

// SQL of shard leases (0002_shard_leases.sql). Every function runs on a
// pg_pool worker; lease times are PostgreSQL's clock, never a node's.
namespace troupe::persistence::lease_store {

struct lease_row {
  int shard = 0;
  std::string owner; // empty when free
  std::int64_t owner_incarnation = 0;
  std::int64_t epoch = 0;
  bool live = false; // not yet expired
};

// What a node asks of the lease table in one tick.
struct lease_tick {
  std::string name;
  std::int64_t incarnation = 0;
  milliseconds lease_time{0};
  std::vector<int> release;                // held shards whose entities have stopped
  std::vector<int> acquire;                // shards this node should own
  std::vector<std::int64_t> dead;          // incarnations confirmed dead: their leases go now
};

// Creates the rows of shards [0, shards) that are missing.
void ensure_shards(pqxx::connection_base& c, int shards);

// One transaction: releases, renews every lease this incarnation holds (one
// statement, even an expired one: nobody took it meanwhile), takes the shards
// to acquire that are free, expired or held by a dead incarnation (bumping
// their epoch), then reads every row.
std::vector<lease_row> tick(pqxx::connection_base& c, const lease_tick& t);

// The fence of a write made for `shard` in `tx`: true while `incarnation`
// holds the lease, which then stays locked FOR KEY SHARE until `tx` ends, so
// a takeover (FOR UPDATE) waits for the write or the write sees the
// takeover. Renewals, which only move expires_at, wait for no write.
bool holds(pqxx::transaction_base& tx, int shard, std::int64_t incarnation);

// The same fence for a batch: the epochs of those of `shards` that
// `incarnation` holds, their rows locked FOR KEY SHARE (in shard order, as
// a tick locks them) until `tx` ends.
std::map<int, std::int64_t> held(pqxx::transaction_base& tx, std::vector<int> shards, std::int64_t incarnation);

// Begins a transaction on `tx`, a nontransaction, and returns `held` for
// `shards` in the same round trip (just BEGIN when there are none).
std::map<int, std::int64_t> begin_holding(pqxx::transaction_base& tx, const std::set<int>& shards,
                                          std::int64_t incarnation);

// Gives up every lease of this incarnation (a clean shutdown), so that the
// survivors need not wait for them to expire.
void release_all(pqxx::connection_base& c, std::int64_t incarnation);

} // namespace troupe::persistence::lease_store
