#include "http/auth.hpp"

#include <chrono>
#include <future>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/identity/messages.hpp"
#include "runtime/errors.hpp"

using namespace troupe;
using namespace troupe::http;
using namespace std::chrono_literals;

TEST_CASE("the session cookie is found among others, with or without quotes and spaces", "[auth]") {
  CHECK(cookie_value("session=abc", "session") == "abc");
  CHECK(cookie_value("theme=dark; session=abc; lang=en", "session") == "abc");
  CHECK(cookie_value("theme=dark;session=abc", "session") == "abc");
  CHECK(cookie_value("  session = abc  ", "session") == "abc");
  CHECK(cookie_value("session=\"abc\"", "session") == "abc");
  CHECK(cookie_value("session=a=b", "session") == "a=b");
  CHECK(cookie_value("session=", "session") == "");
  CHECK(cookie_value("mysession=abc; session_old=x", "session") == std::nullopt);
  CHECK(cookie_value("theme=dark; flag; session=abc", "session") == "abc");
  CHECK(cookie_value("", "session") == std::nullopt);
}

TEST_CASE("a bearer token is read from the Authorization header, the scheme in any case", "[auth]") {
  CHECK(bearer_token("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(bearer_token("bearer abc") == "abc");
  CHECK(bearer_token("BEARER   abc  ") == "abc");
  CHECK(bearer_token("Basic dXNlcjpwYXNz") == std::nullopt);
  CHECK(bearer_token("Bearer") == std::nullopt);
  CHECK(bearer_token("Bearer ") == std::nullopt);
  CHECK(bearer_token("Bearer a b") == std::nullopt);
  CHECK(bearer_token("") == std::nullopt);
}

namespace {

// Stands in for the identity actor: knows one user token, one user cookie
// and one admin token.
caf::behavior fake_identity(caf::event_based_actor*) {
  return {[](identity::authenticate_atom, const identity::credentials& c) -> caf::result<identity::caller> {
    if (c.jwt == "user-token" || c.session_token == "user-cookie")
      return identity::caller{"u1", "c1", "user", "s1"};
    if (c.jwt == "admin-token")
      return identity::caller{"a1", "", "admin", "s2"};
    return make_error(errc::unauthenticated, "the session has ended");
  }};
}

struct auth_fixture {
  auth_fixture() {
    identity_ = sys.spawn(fake_identity);
    sys.registry().put(identity::identity_name, caf::actor_cast<caf::strong_actor_ptr>(identity_));
  }
  ~auth_fixture() {
    sys.registry().erase(identity::identity_name);
    caf::anon_send_exit(identity_, caf::exit_reason::user_shutdown);
  }

  // Calls a route wrapped by `authenticated` with `headers`; the answer,
  // and the request as the inner handler saw it (method "" when it was
  // not called).
  std::pair<response, request> call(std::vector<std::pair<std::string, std::string>> headers,
                                    std::string role = "") {
    auto seen = std::make_shared<request>();
    auto h = authenticated(
      services,
      [seen](const request& req, respond_fn respond) {
        *seen = req;
        respond(response{200, "inner", "text/plain", {}});
      },
      std::move(role));
    request req;
    req.method = "GET";
    req.path = "/x";
    req.headers = std::move(headers);
    auto answered = std::make_shared<std::promise<response>>();
    auto future = answered->get_future();
    h(req, [answered](response r) { answered->set_value(std::move(r)); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return {future.get(), *seen};
  }

  node_config cfg;
  caf::actor_system_config caf_cfg;
  caf::actor_system sys{caf_cfg};
  edge_services services{&sys, nullptr, nullptr, &cfg, 0};
  caf::actor identity_;
};

std::string header_of(const response& r, const std::string& name) {
  for (auto& [k, v] : r.headers)
    if (k == name)
      return v;
  return "";
}

} // namespace

TEST_CASE("a request without credentials is refused with 401 and a Bearer challenge", "[auth]") {
  auth_fixture f;
  for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
         {}, {{"cookie", "theme=dark"}}, {{"authorization", "Basic dXNlcjpwYXNz"}}, {{"cookie", "session="}}}) {
    auto [res, seen] = f.call(headers);
    CHECK(res.status == 401);
    CHECK(header_of(res, "WWW-Authenticate") == "Bearer");
    CHECK_THAT(res.body, Catch::Contains("\"error\":\"unauthenticated\""));
    CHECK(seen.method.empty());
  }
}

TEST_CASE("a bearer token or a session cookie the identity actor accepts reaches the handler with the caller",
          "[auth]") {
  auth_fixture f;
  auto [by_token, seen] = f.call({{"authorization", "Bearer user-token"}});
  CHECK(by_token.status == 200);
  CHECK(seen.user_id == "u1");
  CHECK(seen.client_id == "c1");
  CHECK(seen.role == "user");
  CHECK(seen.session_id == "s1");
  CHECK(seen.path == "/x");
  auto [by_cookie, seen_too] = f.call({{"cookie", "theme=dark; session=user-cookie"}});
  CHECK(by_cookie.status == 200);
  CHECK(seen_too.user_id == "u1");
}

TEST_CASE("credentials the identity actor refuses give 401 invalid_token, and the handler never runs", "[auth]") {
  auth_fixture f;
  for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
         {{"authorization", "Bearer forged"}}, {{"cookie", "session=stolen"}}}) {
    auto [res, seen] = f.call(headers);
    CHECK(res.status == 401);
    CHECK(header_of(res, "WWW-Authenticate") == "Bearer error=\"invalid_token\"");
    CHECK(seen.method.empty());
  }
}

TEST_CASE("a bearer token is preferred to a cookie when both are sent", "[auth]") {
  auth_fixture f;
  auto [res, seen] = f.call({{"authorization", "Bearer admin-token"}, {"cookie", "session=user-cookie"}});
  CHECK(res.status == 200);
  CHECK(seen.user_id == "a1");
}

TEST_CASE("a route of another role is forbidden, and an admin passes every role", "[auth]") {
  auth_fixture f;
  auto [as_user, not_seen] = f.call({{"authorization", "Bearer user-token"}}, "admin");
  CHECK(as_user.status == 403);
  CHECK(not_seen.method.empty());
  CHECK(f.call({{"authorization", "Bearer admin-token"}}, "admin").first.status == 200);
  CHECK(f.call({{"authorization", "Bearer admin-token"}}, "user").first.status == 200);
  CHECK(f.call({{"authorization", "Bearer user-token"}}, "user").first.status == 200);
}

TEST_CASE("without an identity actor the edge answers 503, not 401", "[auth]") {
  auth_fixture f;
  f.sys.registry().erase(identity::identity_name);
  CHECK(f.call({{"authorization", "Bearer user-token"}}).first.status == 503);
}
