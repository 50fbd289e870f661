#pragma once

#include <cstdint>
#include <string>

#include "tests/support/http_client.hpp"

// Callers for the routes that need one: users registered and logged in
// through the native identity routes (/api/v1/auth/...).
namespace troupe::testing {

// POST /api/v1/auth/register; names and email are made from the login.
http_response register_user(std::uint16_t port, const std::string& login, const std::string& password);

// `Authorization: Bearer <jwt>`.
header_list bearer(const std::string& jwt);

struct user_session {
  std::string id;  // the user's
  std::string jwt; // from POST /api/v1/auth/login
  header_list auth() const { return bearer(jwt); }
};

// POST /api/v1/auth/login; the user's id and bearer token. Throws
// std::runtime_error with the response when the answer is not 200.
user_session log_in(std::uint16_t port, const std::string& login, const std::string& password);

// Registers `login` through `register_port` and logs in through
// `login_port`. Throws std::runtime_error with the response when the
// registration is not 201.
user_session new_user_session(std::uint16_t register_port, std::uint16_t login_port, const std::string& login,
                              const std::string& password);

// The node's identity actor runs and reaches PostgreSQL: GET
// /api/v1/users/me with the cookie of no session answers 401 (not 503).
bool identity_answers(std::uint16_t port);

} // namespace troupe::testing
