#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/identity/messages.hpp"
#include "runtime/config.hpp"

namespace pqxx {
class connection_base;
}

// SQL of the identity domain (0005_identity.sql). Every function runs on a
// pg_pool worker. Session times are PostgreSQL's clock.
namespace troupe::persistence::identity_store {

// Inserts a user with role `role` and the argon2id string `password_hash`.
// errc::conflict "login 'x' is taken"; a `created_by` key used before
// returns the user it created (errc::idempotency_key_reused when login,
// names or email differ from that user's).
caf::expected<identity::user> create_user(pqxx::connection_base& c, const identity::new_user& u,
                                          const std::string& role, const std::string& password_hash);

struct user_with_hash {
  identity::user user;
  std::string password_hash;
};

// errc::not_found when there is no such login (the caller must not say so).
caf::expected<user_with_hash> find_by_login(pqxx::connection_base& c, const std::string& login);
caf::expected<user_with_hash> find_by_id(pqxx::connection_base& c, const std::string& id);

// true, or errc::not_found when there is no such user.
caf::expected<bool> set_client_id(pqxx::connection_base& c, const std::string& user_id,
                                         const std::string& client_id);

// Replaces the hash and ends every other session of the user than
// `keep_session`: true, or errc::not_found when there is no such user.
caf::expected<bool> set_password_hash(pqxx::connection_base& c, const std::string& user_id,
                                             const std::string& password_hash, const std::string& keep_session);

struct new_session {
  std::string token; // opaque, 32 random bytes base64url: only the client keeps it
  std::string id;    // SHA-256 hex of the token
  std::int64_t expires_at_ms = 0;
};

// A session of `user_id` that lasts `ttl`. The user's sessions that have
// ended are deleted on the way.
new_session create_session(pqxx::connection_base& c, const std::string& user_id, milliseconds ttl);

struct live_session {
  identity::caller who;
  std::int64_t expires_at_ms = 0;
};

// The callers behind those of `session_ids` whose sessions have neither
// expired nor been revoked, by session id, with their users' roles and
// client ids as they are now. One statement for the requests of many
// callers, outside any transaction.
std::map<std::string, live_session> live_sessions(pqxx::connection_base& c, const std::vector<std::string>& session_ids);

// Ends a session; ending one that has ended already is no error.
void revoke_session(pqxx::connection_base& c, const std::string& session_id);

// The HS256 key every node shares: `candidate` if no node stored one
// before, else the stored one.
std::string jwt_secret(pqxx::connection_base& c, const std::string& candidate);

} // namespace troupe::persistence::identity_store
