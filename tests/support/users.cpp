#include "tests/support/users.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace troupe::testing {
namespace {

std::string described(const std::string& what, const http_response& r) {
  return what + " answered " + std::to_string(r.status) + " " + r.body + r.error;
}

} // namespace

http_response register_user(std::uint16_t port, const std::string& login, const std::string& password) {
  return http_post(port, "/api/v1/auth/register",
                   nlohmann::json{{"login", login},
                                  {"password", password},
                                  {"first_name", "First " + login},
                                  {"last_name", "Last " + login},
                                  {"email", login + "@example.test"}}
                     .dump());
}

header_list bearer(const std::string& jwt) {
  return {{"Authorization", "Bearer " + jwt}};
}

user_session log_in(std::uint16_t port, const std::string& login, const std::string& password) {
  auto r = http_post(port, "/api/v1/auth/login", nlohmann::json{{"login", login}, {"password", password}}.dump());
  if (r.status != 200)
    throw std::runtime_error(described("POST /api/v1/auth/login as " + login, r));
  auto j = r.json();
  return {j.at("user").at("id").get<std::string>(), j.at("token").get<std::string>()};
}

user_session new_user_session(std::uint16_t register_port, std::uint16_t login_port, const std::string& login,
                              const std::string& password) {
  auto r = register_user(register_port, login, password);
  if (r.status != 201)
    throw std::runtime_error(described("POST /api/v1/auth/register of " + login, r));
  return log_in(login_port, login, password);
}

bool identity_answers(std::uint16_t port) {
  // A cookie of no session: the identity actor looks it up in PostgreSQL.
  // (Without any credentials the edge answers 401 on its own.)
  return http_get(port, "/api/v1/users/me", {{"Cookie", "session=readiness-probe"}}, std::chrono::seconds{2}).status ==
         401;
}

} // namespace troupe::testing
