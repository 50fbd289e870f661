#include "persistence/idempotency_store.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "persistence/prepared.hpp"

namespace troupe::persistence::idempotency_store {
namespace {

found_key to_found(const pqxx::row& r) {
  found_key f;
  auto running = r[0].as<std::string>() == "running";
  f.same_request = r[1].as<bool>();
  auto locked = r[2].as<bool>();
  auto expired = r[3].as<bool>();
  f.state = expired    ? key_state::expired
            : !running ? key_state::done
            : locked   ? key_state::running
                       : key_state::abandoned;
  if (f.state != key_state::done)
    return f;
  f.response.status = r[4].as<unsigned>();
  f.response.content_type = r[5].as<std::string>();
  for (auto& h : nlohmann::json::parse(r[6].as<std::string>()))
    f.response.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
  f.response.body = pqxx::binarystring(r[7]).str();
  return f;
}

std::string headers_json(const stored_response& answer) {
  auto out = nlohmann::json::array();
  for (auto& [name, value] : answer.headers)
    out.push_back({name, value});
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A running row stays unexpired while its lock holds, and for `ttl` past
// it: the purge never deletes a key that is being worked on.
const std::string insert = "INSERT INTO idempotency_keys (scope, key, fingerprint, state, locked_until, expires_at)"
                           " VALUES ($1, $2, $3, 'running', now() + $4::bigint * interval '1 millisecond',"
                           "  now() + $5::bigint * interval '1 millisecond')"
                           " ON CONFLICT (scope, key) DO NOTHING RETURNING attempt::text";

// The key's row read and locked, then taken when `take` says so. Loops
// only when another request inserts the key between the read and the
// insert; the next read then finds (and waits for) its row.
claim read_then_take(pqxx::transaction_base& tx, const std::string& scope, const std::string& key,
                     const pqxx::binarystring& print, std::int64_t lock_ms, std::int64_t keep_ms,
                     const std::function<bool(const found_key&)>& take) {
  claim out;
  for (;;) {
    auto r = exec_prepared(tx, "SELECT state, fingerprint = $3, locked_until > now(), expires_at <= now(), status,"
                               " content_type, headers::text, body"
                               " FROM idempotency_keys WHERE scope = $1 AND key = $2 FOR UPDATE",
                               scope, key, print);
    out = {};
    if (!r.empty())
      out.found = to_found(r[0]);
    else
      out.found.same_request = true;
    if (!take(out.found))
      return out;
    auto taken =
      r.empty()
        ? exec_prepared(tx, insert, scope, key, print, lock_ms, keep_ms)
        : exec_prepared(tx, "UPDATE idempotency_keys SET attempt = gen_random_uuid(), fingerprint = $3,"
                            " state = 'running', status = NULL, content_type = NULL, headers = NULL, body = NULL,"
                            " created_at = now(), locked_until = now() + $4::bigint * interval '1 millisecond',"
                            " expires_at = now() + $5::bigint * interval '1 millisecond'"
                            " WHERE scope = $1 AND key = $2 RETURNING attempt::text",
                            scope, key, print, lock_ms, keep_ms);
    if (!taken.empty()) {
      out.attempt = taken[0][0].as<std::string>();
      return out;
    }
  }
}

} // namespace

void begin(group_commit::batch& b, const std::string& scope, const std::string& key, const std::string& fingerprint,
           milliseconds lock_for, milliseconds ttl, std::function<bool(const found_key&)> take,
           group_commit::deliver<claim> then) {
  pqxx::binarystring print(fingerprint);
  auto lock_ms = static_cast<std::int64_t>(lock_for.count());
  auto keep_ms = lock_ms + static_cast<std::int64_t>(ttl.count());
  // Most keys are new: one statement claims them.
  claim absent;
  absent.found.same_request = true;
  if (!take(absent.found))
    return then(read_then_take(b.tx, scope, key, print, lock_ms, keep_ms, take));
  pipelined(
    b,
    [&tx = b.tx, then, absent, scope, key, print, lock_ms, keep_ms, take](const pqxx::result& r) {
      if (r.empty())
        return then(read_then_take(tx, scope, key, print, lock_ms, keep_ms, take));
      auto out = absent;
      out.attempt = r[0][0].as<std::string>();
      then(out);
    },
    insert, scope, key, print, lock_ms, keep_ms);
}

void complete(group_commit::batch& b, const std::string& scope, const std::string& key, const std::string& attempt,
              const stored_response& answer, milliseconds ttl, group_commit::deliver<bool> then) {
  pipelined(b, [then](const pqxx::result& r) { then(r.affected_rows() == 1); },
            "UPDATE idempotency_keys SET state = 'done', status = $4, content_type = $5, headers = $6::jsonb,"
            " body = $7, expires_at = now() + $8::bigint * interval '1 millisecond'"
            " WHERE scope = $1 AND key = $2 AND attempt = $3::uuid AND state = 'running'",
            scope, key, attempt, answer.status, answer.content_type, headers_json(answer),
            pqxx::binarystring(answer.body), static_cast<std::int64_t>(ttl.count()));
}

void release(group_commit::batch& b, const std::string& scope, const std::string& key, const std::string& attempt,
             group_commit::deliver<bool> then) {
  pipelined(b, [then](const pqxx::result& r) { then(r.affected_rows() == 1); },
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND attempt = $3::uuid AND state = 'running'",
            scope, key, attempt);
}

int purge_expired(pqxx::connection_base& c, int limit) {
  pqxx::work tx(c);
  // expires_at is checked again on the row itself: a key that a request
  // took over meanwhile (a new expires_at) is waited for, then left alone.
  auto r = tx.exec_params("DELETE FROM idempotency_keys WHERE expires_at <= now() AND (scope, key) IN"
                          " (SELECT scope, key FROM idempotency_keys WHERE expires_at <= now()"
                          "  ORDER BY expires_at LIMIT $1)",
                          limit);
  tx.commit();
  return static_cast<int>(r.affected_rows());
}

} // namespace troupe::persistence::idempotency_store
