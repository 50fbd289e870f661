#include "persistence/outbox.hpp"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "persistence/copy_text.hpp"

namespace troupe::persistence::outbox {
namespace {

template <class Int>
std::string int_array(const std::vector<Int>& xs) {
  std::string out = "{";
  for (auto x : xs) {
    copy_text::append_int(out, x);
    out += ',';
  }
  if (out.size() > 1)
    out.pop_back();
  return out + "}";
}

} // namespace

void add(pqxx::transaction_base& tx, const std::vector<event>& events) {
  if (events.empty())
    return;
  using namespace copy_text;
  static const std::vector<std::string> columns{"topic", "key", "key_hash", "type", "source", "data"};
  std::string block;
  for (auto& e : events) {
    append_field(block, e.topic);
    block += '\t';
    append_field(block, e.key);
    block += '\t';
    append_int(block, key_hash(e.key));
    block += '\t';
    append_field(block, e.type);
    block += '\t';
    append_field(block, e.source);
    block += '\t';
    append_field(block, e.data);
    block += '\n';
  }
  block.pop_back();
  pqxx::tablewriter out(tx, "outbox", columns.begin(), columns.end());
  out.write_raw_line(block);
  out.complete();
}

std::int64_t key_hash(std::string_view key) {
  // FNV-1a: std::hash may differ between builds, and every node must agree.
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : key)
    h = (h ^ c) * 1099511628211ULL;
  return static_cast<std::int64_t>(h & 0x7fff'ffff'ffff'ffffULL);
}

batch fetch(pqxx::connection_base& c, std::int64_t incarnation, int shards, position after, int limit) {
  pqxx::read_transaction tx(c);
  batch out;
  for (auto row : tx.exec_params("SELECT shard FROM shard_leases WHERE owner_incarnation = $1"
                                 " AND expires_at > now() ORDER BY shard",
                                 incarnation))
    out.shards.push_back(row[0].as<int>());
  // The outbox is mostly empty when ANALYZE sees it; without statistics the
  // planner would read and sort every pending row for each batch, and a
  // backlog would drain in quadratic time. Walking the index is right for
  // any size.
  tx.exec("SET LOCAL enable_sort = off");
  auto rows = tx.exec_params(
    "SELECT xid::text::bigint, id, topic, key, event_id, type,"
    " to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), source, data"
    " FROM outbox WHERE (xid, id) > ($1::text::xid8, $2) AND xid < pg_snapshot_xmin(pg_current_snapshot())"
    " AND key_hash % $3 = ANY($4::int[]) ORDER BY outbox.xid, outbox.id LIMIT $5",
    std::to_string(after.xid), after.id, shards, int_array(out.shards), limit);
  out.events.reserve(rows.size());
  for (auto row : rows) {
    using copy_text::append_json_string;
    std::string envelope = "{\"id\":\"";
    envelope.append(row[4].c_str()).append("\",\"type\":");
    append_json_string(envelope, row[5].c_str());
    envelope.append(",\"occurred_at\":\"").append(row[6].c_str()).append("\",\"source\":");
    append_json_string(envelope, row[7].c_str());
    envelope.append(",\"data\":").append(row[8].c_str()).append("}");
    position at{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
    out.events.push_back({at, row[2].c_str(), row[3].c_str(), std::move(envelope)});
  }
  return out;
}

void remove(pqxx::connection_base& c, const std::vector<std::int64_t>& ids) {
  if (ids.empty())
    return;
  pqxx::work tx(c);
  tx.exec_params("DELETE FROM outbox WHERE id = ANY($1::bigint[])", int_array(ids));
  tx.commit();
}

void bury(pqxx::connection_base& c, std::int64_t id, const std::string& error) {
  pqxx::work tx(c);
  tx.exec_params("WITH gone AS (DELETE FROM outbox WHERE id = $1 RETURNING topic, key, data, type)"
                 " INSERT INTO dead_letters (origin, topic, key, payload, error)"
                 " SELECT 'outbox', topic, key, json_build_object('type', type, 'data', data)::text, $2 FROM gone",
                 id, error);
  tx.commit();
}

std::int64_t backlog(pqxx::connection_base& c) {
  pqxx::read_transaction tx(c);
  // Two index lookups; counting is a scan, which a long backlog makes slow,
  // so only a short one is counted exactly.
  auto span = tx.exec("SELECT coalesce(max(id) - min(id) + 1, 0) FROM outbox")[0][0].as<std::int64_t>();
  if (span > 100'000)
    return span;
  return tx.exec("SELECT count(*) FROM outbox")[0][0].as<std::int64_t>();
}

} // namespace troupe::persistence::outbox
