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

void create(group_commit::batch& b, const saga::saga_view& s) {
  std::vector<std::string> names;
  std::vector<std::string> pivots;
  for (auto& st : s.steps) {
    names.push_back(st.name);
    pivots.push_back(st.pivot ? "true" : "false");
  }
  defer(b, "INSERT INTO sagas (id, type, state, step, shard, input, context)"
           " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
        s.id, s.type, s.state, s.step, s.shard, s.input, s.context);
  defer(b, "INSERT INTO saga_steps (saga_id, step, name, pivot, status)"
           " SELECT $1, n - 1, name, pivot::boolean, 'pending'"
           " FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS s (name, pivot, n)",
        s.id, text_array(names), text_array(pivots));
}

void step_started(group_commit::batch& b, const std::string& id, int step, const std::string& status) {
  defer(b, "UPDATE saga_steps SET status = $3, attempts = attempts + 1,"
           " started_at = coalesce(started_at, now()) WHERE saga_id = $1 AND step = $2",
        id, step, status);
}

void step_ended(group_commit::batch& b, const step_end& e) {
  defer(b, "UPDATE saga_steps SET status = $3, last_error = nullif($4, ''), finished_at = now()"
           " WHERE saga_id = $1 AND step = $2",
        e.id, e.step, e.status, e.error);
  defer(b, "UPDATE sagas SET state = $2, step = $3, context = $4::jsonb,"
           " error = coalesce(nullif($5, ''), error), updated_at = now(),"
           " finished_at = CASE WHEN $2 IN ('completed', 'compensated') THEN now() END WHERE id = $1",
        e.id, e.saga_state, e.saga_step, e.context, e.saga_error);
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
                                      " FROM saga_steps WHERE saga_id = $1 ORDER BY step",
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
