#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

// Every message of the identity domain.
namespace troupe::identity {

// A user as everyone but the identity actor sees it: never a password or
// its hash.
struct user {
  std::string id; // a UUID
  std::string login;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string role;      // "user" | "admin"
  std::string client_id; // the saga gateway's customer record; empty until the registration saga sets it
  std::int64_t created_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user& x) {
  return f(caf::meta::type_name("identity_user"), x.id, x.login, x.first_name, x.last_name, x.email, x.role,
           x.client_id, x.created_at_ms);
}

// Who is registering, without the password (which travels beside it, clear
// or already hashed).
struct new_user {
  std::string login;
  std::string first_name;
  std::string last_name;
  std::string email;
  // "user", "admin", or empty for "user"; a login listed in
  // identity.admins is an admin whatever this says.
  std::string role;
  // The idempotency key of the command (e.g. "saga_id:step"); empty for
  // none. Registering again with a key already used returns the user it
  // created (errc::idempotency_key_reused when login, names or email differ).
  std::string created_by;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_user& x) {
  return f(caf::meta::type_name("identity_new_user"), x.login, x.first_name, x.last_name, x.email, x.role,
           x.created_by);
}

// A login: `token` is the opaque session token (the cookie); `jwt` a bearer
// token for the same session, which ends with it.
struct session {
  std::string token;
  std::string jwt;
  std::int64_t jwt_expires_at_ms = 0;
  std::int64_t session_expires_at_ms = 0;
  user who;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session& x) {
  return f(caf::meta::type_name("identity_session"), x.token, x.jwt, x.jwt_expires_at_ms, x.session_expires_at_ms,
           x.who);
}

// What a request presents: a bearer token, else a session token.
struct credentials {
  std::string jwt;
  std::string session_token;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, credentials& x) {
  return f(caf::meta::type_name("identity_credentials"), x.jwt, x.session_token);
}

// An authenticated caller, as the database has it now (role and client id
// may be newer than the ones in a bearer token).
struct caller {
  std::string user_id;
  std::string client_id;
  std::string role;
  std::string session_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caller& x) {
  return f(caf::meta::type_name("identity_caller"), x.user_id, x.client_id, x.role, x.session_id);
}

struct password_change {
  std::string user_id;
  std::string session_id; // the session asking: the user's other sessions end
  std::string old_password;
  std::string new_password;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, password_change& x) {
  return f(caf::meta::type_name("identity_password_change"), x.user_id, x.session_id, x.old_password,
           x.new_password);
}

using register_atom = caf::atom_constant<caf::atom("register")>;
using hash_atom = caf::atom_constant<caf::atom("hash")>;
using register_hashed_atom = caf::atom_constant<caf::atom("reghashed")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using authenticate_atom = caf::atom_constant<caf::atom("authn")>;
using logout_atom = caf::atom_constant<caf::atom("logout")>;
using password_atom = caf::atom_constant<caf::atom("password")>;
using set_client_atom = caf::atom_constant<caf::atom("setclient")>;

// The identity actor of a node, under this name in the registry. Any node's
// does for any user: its state is in PostgreSQL.
//   register (new_user, password)        -> user (errc::invalid_argument names the field,
//                                           errc::conflict when the login is taken)
//   hash (password)                      -> the argon2id string, for callers that must not keep the password
//   register_hashed (new_user, argon2id) -> user, as register
//   login (login, password)              -> session (errc::unauthenticated "wrong login or password")
//   authenticate (credentials)           -> caller (errc::unauthenticated)
//   logout (session id)                  -> true; the session and its bearer tokens end
//   password (password_change)           -> true (errc::unauthenticated when the old password is wrong)
//   get (user id)                        -> user (errc::not_found)
//   set_client (user id, client id)      -> true (errc::not_found)
// Replies with nothing to say are `true`, not caf::unit: CAF 0.17 sends a
// unit as an empty message, which a typed request's handler never matches.
constexpr caf::atom_value identity_name = caf::atom("identity");

using identity_actor =
  caf::typed_actor<caf::replies_to<register_atom, new_user, std::string>::with<user>,
                   caf::replies_to<hash_atom, std::string>::with<std::string>,
                   caf::replies_to<register_hashed_atom, new_user, std::string>::with<user>,
                   caf::replies_to<login_atom, std::string, std::string>::with<session>,
                   caf::replies_to<authenticate_atom, credentials>::with<caller>,
                   caf::replies_to<logout_atom, std::string>::with<bool>,
                   caf::replies_to<password_atom, password_change>::with<bool>,
                   caf::replies_to<caf::get_atom, std::string>::with<user>,
                   caf::replies_to<set_client_atom, std::string, std::string>::with<bool>>;

} // namespace troupe::identity
