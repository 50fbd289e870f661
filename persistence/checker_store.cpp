#include "persistence/checker_store.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "persistence/copy_text.hpp"
#include "persistence/lease_store.hpp"
#include "persistence/outbox.hpp"
#include "persistence/processed_events.hpp"
#include "runtime/errors.hpp"

namespace troupe::persistence::checker_store {
namespace {

const char* target_columns =
  "id, name, kind, url, interval_ms, timeout_ms, paused, version,"
  " (extract(epoch FROM created_at) * 1000)::bigint";

checker::target to_target(const pqxx::row& r) {
  checker::target t;
  t.id = r[0].as<std::int64_t>();
  t.spec.name = r[1].as<std::string>();
  t.spec.kind = r[2].as<std::string>();
  t.spec.url = r[3].as<std::string>();
  t.spec.interval_ms = r[4].as<std::int32_t>();
  t.spec.timeout_ms = r[5].as<std::int32_t>();
  t.paused = r[6].as<bool>();
  t.version = r[7].as<std::int64_t>();
  t.created_at_ms = r[8].as<std::int64_t>();
  return t;
}

caf::error not_found(std::int64_t id) {
  return make_error(errc::not_found, "no target with id " + std::to_string(id));
}

std::string sql(const std::string& before, const std::string& after = {}) {
  return before + target_columns + after;
}

const char* source = "troupe/checker";

// target.created, target.deleted, target.paused, target.resumed (docs/events.md).
void add_target_event(pqxx::work& tx, bool publish, const std::string& type, const checker::target& t) {
  if (!publish)
    return;
  nlohmann::json data{{"id", t.id},
                      {"name", t.spec.name},
                      {"kind", t.spec.kind},
                      {"url", t.spec.url},
                      {"interval_ms", t.spec.interval_ms},
                      {"timeout_ms", t.spec.timeout_ms},
                      {"paused", t.paused},
                      {"version", t.version}};
  outbox::add(tx, {{"events.targets", type, std::to_string(t.id), source,
                    data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}});
}

} // namespace

std::vector<checker::target> sync_and_list(pqxx::connection_base& c,
                                           const std::vector<checker::target_spec>& from_config, bool publish) {
  pqxx::work tx(c);
  for (auto& s : from_config)
    for (auto row : tx.exec_params(sql("INSERT INTO targets (name, kind, url, interval_ms, timeout_ms)"
                                       " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING "),
                                   s.name, s.kind, s.url, s.interval_ms, s.timeout_ms))
      add_target_event(tx, publish, "target.created", to_target(row));
  std::vector<checker::target> out;
  for (auto row : tx.exec(sql("SELECT ", " FROM targets ORDER BY id")))
    out.push_back(to_target(row));
  tx.commit();
  return out;
}

std::vector<checker::target> list_targets(pqxx::connection_base& c) {
  pqxx::read_transaction tx(c);
  std::vector<checker::target> out;
  for (auto row : tx.exec(sql("SELECT ", " FROM targets ORDER BY id")))
    out.push_back(to_target(row));
  return out;
}

caf::expected<checker::target> get_target(pqxx::connection_base& c, std::int64_t id) {
  pqxx::read_transaction tx(c);
  auto r = tx.exec_params(sql("SELECT ", " FROM targets WHERE id = $1"), id);
  if (r.empty())
    return not_found(id);
  return to_target(r[0]);
}

caf::expected<checker::target> insert_target(pqxx::connection_base& c, const checker::target_spec& s, bool publish) {
  pqxx::work tx(c);
  auto r = tx.exec_params(sql("INSERT INTO targets (name, kind, url, interval_ms, timeout_ms)"
                              " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING "),
                          s.name, s.kind, s.url, s.interval_ms, s.timeout_ms);
  if (r.empty())
    return make_error(errc::conflict, "name: a target named '" + s.name + "' exists");
  auto t = to_target(r[0]);
  add_target_event(tx, publish, "target.created", t);
  tx.commit();
  return t;
}

caf::expected<checker::target> set_paused(pqxx::connection_base& c, std::int64_t id, bool paused, bool publish) {
  pqxx::work tx(c);
  auto r = tx.exec_params(sql("UPDATE targets SET paused = $2, version = version + 1 WHERE id = $1 RETURNING "),
                          id, paused);
  if (r.empty())
    return not_found(id);
  auto t = to_target(r[0]);
  add_target_event(tx, publish, paused ? "target.paused" : "target.resumed", t);
  tx.commit();
  return t;
}

bool delete_target(pqxx::connection_base& c, std::int64_t id, bool publish) {
  pqxx::work tx(c);
  auto r = tx.exec_params(sql("DELETE FROM targets WHERE id = $1 RETURNING "), id);
  if (r.empty())
    return false;
  // A deletion is a change too: consumers keeping the highest version see it.
  auto gone = to_target(r[0]);
  ++gone.version;
  add_target_event(tx, publish, "target.deleted", gone);
  tx.commit();
  return true;
}

namespace {

// check.completed (docs/events.md), one per check, to PREFIX.checks.
void add_check_events(pqxx::work& tx, const std::vector<const checker::check_result*>& results) {
  using namespace copy_text;
  std::vector<outbox::event> events;
  events.reserve(results.size());
  for (auto* r : results) {
    std::string data = "{\"target_id\":";
    append_int(data, r->target_id);
    data += ",\"target\":";
    append_json_string(data, r->target_name);
    data += ",\"checked_at_ms\":";
    append_int(data, r->checked_at_ms);
    data += r->pass ? ",\"status\":\"pass\",\"http_status\":" : ",\"status\":\"fail\",\"http_status\":";
    if (r->http_status)
      append_int(data, r->http_status);
    else
      data += "null";
    data += ",\"latency_ms\":";
    append_double(data, r->latency_ms);
    data += ",\"error\":";
    if (r->error.empty())
      data += "null";
    else
      append_json_string(data, r->error);
    data += ",\"samples\":";
    append_int(data, static_cast<std::int64_t>(r->samples.size()));
    data += ",\"malformed_lines\":";
    append_int(data, static_cast<std::int64_t>(r->malformed_lines));
    data += '}';
    events.push_back({"checks", "check.completed", std::to_string(r->target_id), source, std::move(data)});
  }
  outbox::add(tx, events);
}

// COPYs `results`, their events and their samples; returns the number of samples.
std::size_t copy_results(pqxx::work& tx, const std::vector<const checker::check_result*>& results,
                         const std::string& owner, bool publish) {
  using namespace copy_text;
  std::string block;
  {
    static const std::vector<std::string> columns{
      "target_id", "target_name", "checked_at", "status", "http_status",     "latency_ms",
      "error",     "samples",     "shard",      "epoch",  "malformed_lines", "owner"};
    pqxx::tablewriter checks(tx, "checks", columns.begin(), columns.end());
    for (auto* p : results) {
      auto& r = *p;
      append_int(block, r.target_id);
      block += '\t';
      append_field(block, r.target_name);
      block += '\t';
      append_timestamp(block, r.checked_at_ms);
      block += r.pass ? "\tpass\t" : "\tfail\t";
      if (r.http_status)
        append_int(block, r.http_status);
      else
        block += "\\N";
      block += '\t';
      append_double(block, r.latency_ms);
      block += '\t';
      if (r.error.empty())
        block += "\\N";
      else
        append_field(block, r.error);
      block += '\t';
      append_int(block, static_cast<std::int64_t>(r.samples.size()));
      block += '\t';
      append_int(block, r.shard);
      block += '\t';
      append_int(block, r.epoch);
      block += '\t';
      append_int(block, static_cast<std::int64_t>(r.malformed_lines));
      block += '\t';
      append_field(block, owner);
      block += '\n';
    }
    // One write for the whole batch: COPY data is a byte stream, so a block
    // of lines is as good as a line at a time, and far cheaper.
    block.pop_back();
    checks.write_raw_line(block);
    checks.complete();
  }
  if (publish)
    add_check_events(tx, results);
  // Sample ids (see 0001_checker.sql): one block of 2^20 per sequence value,
  // all reserved before the COPY starts.
  std::size_t total = 0;
  for (auto* r : results)
    total += r->samples.size();
  std::vector<std::int64_t> blocks;
  for (auto row : tx.exec_params("SELECT nextval('sample_batches') FROM generate_series(1, $1)",
                                 static_cast<std::int64_t>((total >> 20) + 1)))
    blocks.push_back(row[0].as<std::int64_t>() << 20);
  std::size_t index = 0;
  std::string labels;
  static const std::vector<std::string> columns{"id", "target_id", "name", "labels", "value", "ts_ms"};
  pqxx::tablewriter samples(tx, "samples", columns.begin(), columns.end());
  block.clear();
  auto flush = [&] {
    if (block.empty())
      return;
    block.pop_back();
    samples.write_raw_line(block);
    block.clear();
  };
  for (auto* p : results) {
    auto& r = *p;
    for (auto& s : r.samples) {
      append_int(block, blocks[index >> 20] + static_cast<std::int64_t>(index & ((1 << 20) - 1)));
      ++index;
      block += '\t';
      append_int(block, r.target_id);
      block += '\t';
      append_field(block, s.name);
      block += '\t';
      labels = "{";
      for (auto& [k, v] : s.labels) {
        if (labels.size() > 1)
          labels += ',';
        append_json_string(labels, k);
        labels += ':';
        append_json_string(labels, v);
      }
      labels += '}';
      append_field(block, labels);
      block += '\t';
      append_double(block, s.value);
      block += '\t';
      append_int(block, s.timestamp_ms.value_or(r.checked_at_ms));
      block += '\n';
      if (block.size() > (1 << 20))
        flush();
    }
  }
  flush();
  samples.complete();
  return total;
}

} // namespace

written write_results(pqxx::connection_base& c, const std::vector<checker::check_result>& all,
                      const std::string& owner, std::int64_t incarnation, bool publish) {
  std::vector<const checker::check_result*> results;
  for (auto& r : all)
    results.push_back(&r);
  // The fence comes last, so that the lease rows stay locked only for the
  // commit's round trip, never for a long COPY (a node frozen while holding
  // them would hold up the takeover). When a lease has moved, the batch is
  // written again without its checks: that is rare, and cheap.
  while (!results.empty()) {
    pqxx::work tx(c);
    auto samples = copy_results(tx, results, owner, publish);
    std::vector<int> shards;
    for (auto* r : results)
      shards.push_back(r->shard);
    auto held = lease_store::held(tx, shards, incarnation);
    auto still_held = [&](auto* r) {
      auto h = held.find(r->shard);
      return h != held.end() && h->second == r->epoch;
    };
    if (std::all_of(results.begin(), results.end(), still_held)) {
      tx.commit();
      return {results.size(), samples};
    }
    tx.abort();
    results.erase(std::remove_if(results.begin(), results.end(), [&](auto* r) { return !still_held(r); }),
                  results.end());
  }
  return {};
}

caf::expected<bool> add_annotation(pqxx::connection_base& c, const annotation& a, const std::string& subscription,
                                   int shard, std::int64_t incarnation) {
  pqxx::work tx(c);
  if (!processed_events::first_time(tx, subscription, a.event_id))
    return false;
  if (!lease_store::holds(tx, shard, incarnation))
    return make_error(errc::unavailable, "shard " + std::to_string(shard) + " has moved");
  try {
    tx.exec_params("INSERT INTO annotations (target_id, event_id, text, tags, occurred_at)"
                   " VALUES ($1, $2::uuid, $3, $4::jsonb, $5::timestamptz)",
                   a.target_id, a.event_id, a.text, a.tags_json, a.occurred_at);
  } catch (const pqxx::foreign_key_violation&) {
    return not_found(a.target_id);
  } catch (const pqxx::data_exception&) {
    return make_error(errc::invalid_argument, "occurred_at: not a time: " + a.occurred_at);
  }
  tx.commit();
  return true;
}

std::vector<annotation_row> list_annotations(pqxx::connection_base& c, std::int64_t target_id, int limit) {
  pqxx::read_transaction tx(c);
  std::vector<annotation_row> out;
  for (auto row : tx.exec_params(
         "SELECT * FROM (SELECT id, event_id::text, text, tags::text,"
         " (extract(epoch FROM occurred_at) * 1000)::bigint, (extract(epoch FROM created_at) * 1000)::bigint"
         " FROM annotations WHERE target_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2) a ORDER BY 5, 1",
         target_id, limit))
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                   row[3].as<std::string>(), row[4].as<std::int64_t>(), row[5].as<std::int64_t>()});
  return out;
}

std::vector<metric_row> query_metrics(pqxx::connection_base& c, const metric_query& q) {
  pqxx::read_transaction tx(c);
  auto r = tx.exec_params(
    "SELECT * FROM (SELECT id, ts_ms, name, value::text, labels, target_id FROM samples"
    " WHERE ($1 = '' OR name = $1) AND ts_ms >= $2 AND ts_ms <= $3 AND ($4 = 0 OR target_id = $4)"
    " ORDER BY ts_ms DESC, id DESC LIMIT $5) s ORDER BY ts_ms, id",
    q.name, q.from_ms.value_or(std::numeric_limits<std::int64_t>::min()),
    q.to_ms.value_or(std::numeric_limits<std::int64_t>::max()), q.target_id.value_or(0), q.limit);
  std::vector<metric_row> out;
  out.reserve(r.size());
  for (auto row : r) {
    // value as text: libpqxx 6 refuses to read NaN and infinities as double.
    auto text = row[3].as<std::string>();
    double value = text == "NaN"         ? std::numeric_limits<double>::quiet_NaN()
                   : text == "Infinity"  ? std::numeric_limits<double>::infinity()
                   : text == "-Infinity" ? -std::numeric_limits<double>::infinity()
                                         : std::stod(text);
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::string>(), value,
                   row[4].as<std::string>(), row[5].as<std::int64_t>()});
  }
  return out;
}

std::vector<check_row> query_checks(pqxx::connection_base& c, const check_query& q) {
  pqxx::read_transaction tx(c);
  auto r = tx.exec_params(
    "SELECT * FROM (SELECT id, (extract(epoch FROM checked_at) * 1000)::bigint, target_id, target_name,"
    " status = 'pass', coalesce(http_status, 0), latency_ms, coalesce(error, ''), samples, malformed_lines"
    " FROM checks WHERE ($1 = '' OR target_name = $1) AND ($2 = 0 OR target_id = $2)"
    " ORDER BY checked_at DESC, id DESC LIMIT $3) s ORDER BY 2, 1",
    q.domain.value_or(""), q.target_id.value_or(0), q.num);
  std::vector<check_row> out;
  out.reserve(r.size());
  for (auto row : r)
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                   row[3].as<std::string>(), row[4].as<bool>(), row[5].as<int>(), row[6].as<double>(),
                   row[7].as<std::string>(), row[8].as<int>(), row[9].as<int>()});
  return out;
}

int delete_expired(pqxx::connection_base& c, const std::string& table, std::int64_t max_age_ms, int batch) {
  pqxx::work tx(c);
  auto stmt = table == "checks"
                ? "DELETE FROM checks WHERE id IN (SELECT id FROM checks"
                  " WHERE checked_at < now() - $1 * interval '1 millisecond' LIMIT $2)"
                : "DELETE FROM samples WHERE ctid = ANY (ARRAY(SELECT ctid FROM samples"
                  " WHERE ts_ms < (extract(epoch FROM now()) * 1000)::bigint - $1 LIMIT $2))";
  auto r = tx.exec_params(stmt, max_age_ms, batch);
  tx.commit();
  return static_cast<int>(r.affected_rows());
}

} // namespace troupe::persistence::checker_store
