#include "persistence/ledger_store.hpp"

#include <map>
#include <set>

#include <pqxx/pqxx>

#include "persistence/lease_store.hpp"
#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

namespace troupe::persistence::ledger_store {
namespace {

const char* operation_columns = "op_id, account_id, kind, outcome, requested, amount, balance_after,"
                                " (extract(epoch FROM created_at) * 1000)::bigint";

billing::operation to_operation(const pqxx::row& r) {
  billing::operation op;
  op.op_id = r[0].as<std::string>();
  op.account_id = r[1].as<std::string>();
  op.kind = r[2].as<std::string>();
  op.outcome = r[3].as<std::string>();
  op.requested = r[4].as<std::int64_t>();
  op.amount = r[5].as<std::int64_t>();
  op.balance_after = r[6].as<std::int64_t>();
  op.at_ms = r[7].as<std::int64_t>();
  return op;
}

const char* account_columns = "id, owner, balance, (extract(epoch FROM created_at) * 1000)::bigint";

billing::account to_account(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>()};
}

// The statements of `commit` after the lease check, filling `out`.
void write(pqxx::transaction_base& tx, const std::vector<entry>& entries, const std::map<int, std::int64_t>& held,
           std::vector<outcome>& out) {
  // What is left to write, by index into `entries`.
  std::vector<std::size_t> live;
  std::set<std::string> accounts;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    auto h = held.find(e.shard);
    if (h == held.end() || h->second != e.epoch)
      out[i].v = verdict::fenced;
    else if (!accounts.insert(e.op.account_id).second)
      out[i].v = verdict::stale;
    else
      live.push_back(i);
  }
  auto column = [&](auto field) {
    std::vector<std::decay_t<decltype(field(entries[0]))>> xs;
    for (auto i : live)
      xs.push_back(field(entries[i]));
    return xs;
  };
  auto keep = [&](const std::set<std::string>& ok, verdict otherwise, auto key) {
    std::vector<std::size_t> kept;
    for (auto i : live) {
      if (ok.count(key(entries[i])))
        kept.push_back(i);
      else
        out[i].v = otherwise;
    }
    live = std::move(kept);
  };

  if (!live.empty()) {
    std::map<std::string, billing::operation> seen;
    auto op_ids = column([](const entry& e) { return e.op.op_id; });
    for (auto row : tx.exec_params(std::string("SELECT ") + operation_columns +
                                     " FROM ledger WHERE op_id = ANY($1::text[])",
                                   text_array(op_ids))) {
      auto op = to_operation(row);
      seen.emplace(op.op_id, op);
    }
    std::set<std::string> fresh;
    for (auto i : live)
      if (auto s = seen.find(entries[i].op.op_id); s != seen.end())
        out[i].op = s->second;
      else
        fresh.insert(entries[i].op.op_id);
    keep(fresh, verdict::replayed, [](const entry& e) { return e.op.op_id; });
  }

  // An open creates the account: if it exists after all, the actor's view is stale.
  std::set<std::string> ready;
  std::vector<std::string> open_ids, owners;
  for (auto i : live)
    if (entries[i].op.kind == "open") {
      open_ids.push_back(entries[i].op.account_id);
      owners.push_back(entries[i].owner);
    } else {
      ready.insert(entries[i].op.account_id);
    }
  if (!open_ids.empty())
    for (auto row : tx.exec_params("INSERT INTO accounts (id, owner) SELECT * FROM unnest($1::text[], $2::text[])"
                                   " ON CONFLICT (id) DO NOTHING RETURNING id",
                                   text_array(open_ids), text_array(owners)))
      ready.insert(row[0].as<std::string>());
  keep(ready, verdict::stale, [](const entry& e) { return e.op.account_id; });

  if (live.empty())
    return;
  // Every balance moves from the one its actor expected, or not at all; a
  // row goes in the ledger for each that moved, and for each open.
  std::vector<std::string> ids;
  std::vector<std::int64_t> expected, after;
  for (auto i : live)
    if (entries[i].op.kind != "open") {
      ids.push_back(entries[i].op.account_id);
      expected.push_back(entries[i].expected);
      after.push_back(entries[i].op.balance_after);
    }
  std::map<std::string, std::int64_t> at;
  for (auto row : exec_prepared(
         tx,
         "WITH moved AS (UPDATE accounts a SET balance = v.after, updated_at = now()"
         "  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v (id, expected, after)"
         "  WHERE a.id = v.id AND a.balance = v.expected RETURNING a.id)"
         " INSERT INTO ledger (op_id, account_id, kind, outcome, requested, amount, balance_after, shard, epoch)"
         " SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],"
         "  $10::bigint[], $11::int[], $12::bigint[])"
         "  AS e (op_id, account_id, kind, outcome, requested, amount, balance_after, shard, epoch)"
         " WHERE e.kind = 'open' OR e.account_id IN (SELECT id FROM moved)"
         " RETURNING op_id, (extract(epoch FROM created_at) * 1000)::bigint",
         text_array(ids), int_array(expected), int_array(after),
         text_array(column([](const entry& e) { return e.op.op_id; })),
         text_array(column([](const entry& e) { return e.op.account_id; })),
         text_array(column([](const entry& e) { return e.op.kind; })),
         text_array(column([](const entry& e) { return e.op.outcome; })),
         int_array(column([](const entry& e) { return e.op.requested; })),
         int_array(column([](const entry& e) { return e.op.amount; })),
         int_array(column([](const entry& e) { return e.op.balance_after; })),
         int_array(column([](const entry& e) { return e.shard; })),
         int_array(column([](const entry& e) { return e.epoch; }))))
    at.emplace(row[0].as<std::string>(), row[1].as<std::int64_t>());
  for (auto i : live) {
    auto a = at.find(entries[i].op.op_id);
    if (a == at.end()) {
      out[i].v = verdict::stale;
      continue;
    }
    out[i].v = verdict::applied;
    out[i].op = entries[i].op;
    out[i].op.at_ms = a->second;
  }
}

} // namespace

std::vector<outcome> commit(pqxx::connection_base& c, const std::vector<entry>& entries, std::int64_t incarnation) {
  std::vector<outcome> out(entries.size());
  // BEGIN goes with the lease check, and the balances with the ledger rows:
  // four round trips a batch.
  pqxx::nontransaction tx(c);
  std::set<int> shards;
  for (auto& e : entries)
    shards.insert(e.shard);
  try {
    write(tx, entries, lease_store::begin_holding(tx, shards, incarnation), out);
    tx.exec("COMMIT");
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (...) {
    tx.exec("ROLLBACK");
    throw;
  }
  return out;
}

std::optional<billing::account> find(pqxx::connection_base& c, const std::string& id) {
  pqxx::read_transaction tx(c);
  auto r = tx.exec_params(std::string("SELECT ") + account_columns + " FROM accounts WHERE id = $1", id);
  if (r.empty())
    return std::nullopt;
  return to_account(r[0]);
}

std::vector<billing::account> owned_by(pqxx::connection_base& c, const std::string& owner) {
  pqxx::read_transaction tx(c);
  std::vector<billing::account> out;
  for (auto row : tx.exec_params(std::string("SELECT ") + account_columns +
                                   " FROM accounts WHERE owner = $1 ORDER BY created_at, id",
                                 owner))
    out.push_back(to_account(row));
  return out;
}

std::vector<billing::operation> history(pqxx::connection_base& c, const std::string& account_id, int limit) {
  pqxx::read_transaction tx(c);
  std::vector<billing::operation> out;
  for (auto row : tx.exec_params(std::string("SELECT ") + operation_columns +
                                   " FROM ledger WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                                 account_id, limit))
    out.push_back(to_operation(row));
  return out;
}

} // namespace troupe::persistence::ledger_store
