#include "persistence/identity_store.hpp"

#include <optional>

#include <pqxx/pqxx>

#include "actors/identity/crypto.hpp"
#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"
#include "runtime/errors.hpp"

namespace troupe::persistence::identity_store {
namespace {

const char* user_columns = "id, login, first_name, last_name, email, role, coalesce(client_id, ''),"
                           " (extract(epoch FROM created_at) * 1000)::bigint, password_hash";

std::string sql(const std::string& before, const std::string& after = {}) {
  return before + user_columns + after;
}

identity::user to_user(const pqxx::row& r) {
  identity::user u;
  u.id = r[0].as<std::string>();
  u.login = r[1].as<std::string>();
  u.first_name = r[2].as<std::string>();
  u.last_name = r[3].as<std::string>();
  u.email = r[4].as<std::string>();
  u.role = r[5].as<std::string>();
  u.client_id = r[6].as<std::string>();
  u.created_at_ms = r[7].as<std::int64_t>();
  return u;
}

user_with_hash to_user_with_hash(const pqxx::row& r) {
  return {to_user(r), r[8].as<std::string>()};
}

caf::error no_user(const std::string& id) {
  return make_error(errc::not_found, "no user with id '" + id + "'");
}

// The user a created_by key made before, if any; a repeat must describe the
// same user.
caf::expected<std::optional<identity::user>> created_before(pqxx::work& tx, const identity::new_user& u) {
  if (u.created_by.empty())
    return std::optional<identity::user>{};
  auto r = exec_prepared(tx, sql("SELECT ", " FROM users WHERE created_by = $1"), u.created_by);
  if (r.empty())
    return std::optional<identity::user>{};
  auto before = to_user(r[0]);
  if (before.login != u.login || before.first_name != u.first_name || before.last_name != u.last_name ||
      before.email != u.email)
    return make_error(errc::idempotency_key_reused,
                      "created_by: the key '" + u.created_by + "' registered another user");
  return std::optional<identity::user>{before};
}

} // namespace

caf::expected<identity::user> create_user(pqxx::connection_base& c, const identity::new_user& u,
                                          const std::string& role, const std::string& password_hash) {
  pqxx::work tx(c);
  auto before = created_before(tx, u);
  if (!before)
    return before.error();
  if (*before)
    return **before;
  auto r = exec_prepared(tx, sql("INSERT INTO users (login, password_hash, first_name, last_name, email, role, created_by)"
                                 " VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')) ON CONFLICT DO NOTHING RETURNING "),
                             u.login, password_hash, u.first_name, u.last_name, u.email, role, u.created_by);
  if (r.empty()) {
    // Either the login is taken, or a repeat of this very command committed
    // in between (the key's row is visible now that the insert waited on it).
    before = created_before(tx, u);
    if (!before)
      return before.error();
    if (*before)
      return **before;
    return make_error(errc::conflict, "login '" + u.login + "' is taken");
  }
  tx.commit();
  return to_user(r[0]);
}

caf::expected<user_with_hash> find_by_login(pqxx::connection_base& c, const std::string& login) {
  pqxx::read_transaction tx(c);
  auto r = exec_prepared(tx, sql("SELECT ", " FROM users WHERE login = $1"), login);
  if (r.empty())
    return make_error(errc::not_found, "no user with login '" + login + "'");
  return to_user_with_hash(r[0]);
}

caf::expected<user_with_hash> find_by_id(pqxx::connection_base& c, const std::string& id) {
  pqxx::read_transaction tx(c);
  auto r = exec_prepared(tx, sql("SELECT ", " FROM users WHERE id = $1"), id);
  if (r.empty())
    return no_user(id);
  return to_user_with_hash(r[0]);
}

caf::expected<bool> set_client_id(pqxx::connection_base& c, const std::string& user_id,
                                         const std::string& client_id) {
  pqxx::work tx(c);
  auto r = exec_prepared(tx, "UPDATE users SET client_id = NULLIF($2, ''), updated_at = now() WHERE id = $1", user_id,
                             client_id);
  if (r.affected_rows() == 0)
    return no_user(user_id);
  tx.commit();
  return true;
}

caf::expected<bool> set_password_hash(pqxx::connection_base& c, const std::string& user_id,
                                             const std::string& password_hash, const std::string& keep_session) {
  pqxx::work tx(c);
  auto r = exec_prepared(tx, "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", user_id,
                             password_hash);
  if (r.affected_rows() == 0)
    return no_user(user_id);
  exec_prepared(tx, "UPDATE sessions SET revoked_at = now()"
                    " WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > now()",
                    user_id, keep_session);
  tx.commit();
  return true;
}

new_session create_session(pqxx::connection_base& c, const std::string& user_id, milliseconds ttl) {
  new_session s;
  s.token = identity::crypto::random_token(32);
  s.id = identity::crypto::sha256_hex(s.token);
  pqxx::work tx(c);
  exec_prepared(tx, "DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= now() OR revoked_at IS NOT NULL)",
                    user_id);
  auto r = exec_prepared(tx, "INSERT INTO sessions (id, user_id, expires_at)"
                             " VALUES ($1, $2, now() + $3::float8 * interval '1 millisecond')"
                             " RETURNING (extract(epoch FROM expires_at) * 1000)::bigint",
                             s.id, user_id, static_cast<std::int64_t>(ttl.count()));
  s.expires_at_ms = r[0][0].as<std::int64_t>();
  tx.commit();
  return s;
}

std::map<std::string, live_session> live_sessions(pqxx::connection_base& c, const std::vector<std::string>& session_ids) {
  pqxx::nontransaction tx(c);
  std::map<std::string, live_session> out;
  for (auto row : tx.exec_params("SELECT s.id, s.user_id, coalesce(u.client_id, ''), u.role,"
                                 " (extract(epoch FROM s.expires_at) * 1000)::bigint FROM sessions s"
                                 " JOIN users u ON u.id = s.user_id"
                                 " WHERE s.id = ANY($1::text[]) AND s.revoked_at IS NULL AND s.expires_at > now()",
                                 text_array(session_ids))) {
    auto id = row[0].as<std::string>();
    out[id] = {identity::caller{row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(), id},
               row[4].as<std::int64_t>()};
  }
  return out;
}

void revoke_session(pqxx::connection_base& c, const std::string& session_id) {
  pqxx::work tx(c);
  exec_prepared(tx, "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", session_id);
  tx.commit();
}

std::string jwt_secret(pqxx::connection_base& c, const std::string& candidate) {
  pqxx::work tx(c);
  tx.exec_params("INSERT INTO settings (key, value) VALUES ('jwt_secret', $1) ON CONFLICT DO NOTHING", candidate);
  auto secret = tx.exec("SELECT value FROM settings WHERE key = 'jwt_secret'")[0][0].as<std::string>();
  tx.commit();
  return secret;
}

} // namespace troupe::persistence::identity_store
