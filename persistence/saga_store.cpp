#include "persistence/saga_store.hpp"

#include <pqxx/pqxx>

#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

namespace troupe::persistence::saga_store {
namespace {

std::string ms(const char* column) {
  return std::string("coalesce((extract(epoch FROM ") + column + ") * 1000)::bigint, 0)";
}

std::string saga_columns() {
  return std::string("id, type, state, step, shard, input::text, context::text, coalesce(error, ''), ") +
         ms("created_at") + ", " + ms("updated_at") + ", " + ms("finished_at");
}

// Milliseconds since the epoch as a timestamp; 0 as NULL.
std::string timestamp(const char* param) {
  return std::string("CASE WHEN ") + param + "::bigint > 0 THEN to_timestamp(" + param + "::bigint / 1000.0) END";
}

saga::saga_view to_view(const pqxx::row& r) {
  saga::saga_view v;
  v.id = r[0].as<std::string>();
  v.type = r[1].as<std::string>();
  v.state = r[2].as<std::string>();
  v.step = r[3].as<int>();
  v.shard = r[4].as<int>();
  v.input = r[5].as<std::string>();
  v.context = r[6].as<std::string>();
  v.error = r[7].as<std::string>();
  v.created_at_ms = r[8].as<std::int64_t>();
  v.updated_at_ms = r[9].as<std::int64_t>();
  v.finished_at_ms = r[10].as<std::int64_t>();
  return v;
}

} // namespace

void write(group_commit::batch& b, const saga::saga_view& s, bool fresh, const std::vector<int>& ended) {
  static const saga::step_view none;
  auto& at = s.step < static_cast<int>(s.steps.size()) ? s.steps[static_cast<std::size_t>(s.step)] : none;
  if (fresh) {
    std::vector<std::string> names;
    std::vector<std::string> pivots;
    for (auto& st : s.steps) {
      names.push_back(st.name);
      pivots.push_back(st.pivot ? "true" : "false");
    }
    static const auto insert =
      "INSERT INTO sagas (id, type, state, step, shard, input, context, error, step_names, step_pivots, step_status,"
      " step_attempts, step_error, step_started_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, nullif($8, ''),"
      " $9::text[], $10::boolean[], nullif($11, ''), $12, nullif($13, ''), " +
      timestamp("$14") + ")";
    defer(b, insert, s.id, s.type, s.state, s.step, s.shard, s.input, s.context, s.error, text_array(names),
          text_array(pivots), at.status, at.attempts, at.last_error, at.started_at_ms);
  } else {
    static const auto update =
      "UPDATE sagas SET state = $2, step = $3, context = $4::jsonb, error = nullif($5, ''), step_status = nullif($6, ''),"
      " step_attempts = $7, step_error = nullif($8, ''), step_started_at = " +
      timestamp("$9") +
      ", updated_at = now(), finished_at = CASE WHEN $2 IN ('completed', 'compensated') THEN now() END WHERE id = $1";
    defer(b, update, s.id, s.state, s.step, s.context, s.error, at.status, at.attempts, at.last_error, at.started_at_ms);
  }
  for (auto i : ended) {
    // A step's row is inserted when its action ends, and updated only
    // when its compensation ends.
    static const auto insert_step =
      "INSERT INTO saga_steps (saga_id, step, name, pivot, status, attempts, last_error, started_at, finished_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), " +
      timestamp("$8") + ", " + timestamp("$9") + ")";
    static const auto compensated = "UPDATE saga_steps SET status = 'compensated', attempts = $3,"
                                    " last_error = nullif($4, ''), finished_at = " +
                                    timestamp("$5") + " WHERE saga_id = $1 AND step = $2";
    auto& st = s.steps.at(static_cast<std::size_t>(i));
    if (st.status == "compensated")
      defer(b, compensated, s.id, i, st.attempts, st.last_error, st.finished_at_ms);
    else
      defer(b, insert_step, s.id, i, st.name, st.pivot, st.status, st.attempts, st.last_error, st.started_at_ms,
            st.finished_at_ms);
  }
}

std::optional<saga::saga_view> load(pqxx::connection_base& c, const std::string& id) {
  // Outside a transaction (three round trips fewer for every new saga): its
  // owner loads it with no write of its own in flight, and no other node's
  // write commits once the lease moved.
  pqxx::nontransaction tx(c);
  auto r = exec_prepared(tx, "SELECT " + saga_columns() + " FROM sagas WHERE id = $1", id);
  if (r.empty())
    return std::nullopt;
  auto v = to_view(r[0]);
  for (auto row : exec_prepared(tx, std::string("SELECT name, pivot, status, attempts, coalesce(last_error, ''), ") +
                                      ms("started_at") + ", " + ms("finished_at") +
                                      " FROM saga_steps_now WHERE saga_id = $1 ORDER BY step",
                                    id))
    v.steps.push_back({row[0].as<std::string>(), row[1].as<bool>(), row[2].as<std::string>(), row[3].as<int>(),
                       row[4].as<std::string>(), row[5].as<std::int64_t>(), row[6].as<std::int64_t>()});
  return v;
}

std::vector<saga::saga_view> list(pqxx::connection_base& c, const std::string& state, int limit) {
  pqxx::read_transaction tx(c);
  std::vector<saga::saga_view> out;
  for (auto row : tx.exec_params("SELECT " + saga_columns() +
                                   " FROM sagas WHERE $1 = '' OR state = $1 OR ($1 = 'running' AND state = 'compensating')"
                                   " ORDER BY created_at DESC LIMIT $2",
                                 state, limit))
    out.push_back(to_view(row));
  return out;
}

std::vector<std::string> unfinished(pqxx::connection_base& c, const std::vector<int>& shards, int limit) {
  pqxx::read_transaction tx(c);
  std::vector<std::string> out;
  for (auto row : tx.exec_params("SELECT id FROM sagas WHERE shard = ANY($1::int[])"
                                 " AND state IN ('running', 'compensating') ORDER BY created_at LIMIT $2",
                                 int_array(shards), limit))
    out.push_back(row[0].as<std::string>());
  return out;
}

} // namespace troupe::persistence::saga_store
