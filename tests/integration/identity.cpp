// Identity against one node and a real PostgreSQL: registration, login by
// cookie and by bearer token, profiles, logout and password change, and
// what the database keeps of a password (an argon2id string, never the
// password).
#include <catch2/catch.hpp>

#include "actors/identity/crypto.hpp"
#include "http/idempotency_rules.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_error.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace crypto = troupe::identity::crypto;

namespace {

// The node's identity actor answers (401, not 503) once it runs.
void wait_for_identity(node_process& node) {
  REQUIRE(node.wait_ready_http());
  // A cookie of no session makes identity ask PostgreSQL: 401, not 503.
  REQUIRE(wait_until(
    [&] { return http_get(node.port(), "/api/v1/users/me", {{"Cookie", "session=none"}}).status == 401; }, 20s));
}

http_response register_user(std::uint16_t port, const std::string& login, const std::string& password) {
  return http_post(port, "/api/v1/auth/register",
                   json{{"login", login},
                        {"password", password},
                        {"first_name", "First " + login},
                        {"last_name", "Last " + login},
                        {"email", login + "@example.test"}}
                     .dump());
}

// Registers and returns the new user's id.
std::string new_user(std::uint16_t port, const std::string& login, const std::string& password) {
  auto r = register_user(port, login, password);
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 201);
  return r.json()["id"].get<std::string>();
}

http_response login(std::uint16_t port, const std::string& login, const std::string& password) {
  return http_post(port, "/api/v1/auth/login", json{{"login", login}, {"password", password}}.dump());
}

struct logged_in {
  std::string jwt;
  std::string cookie; // the session token
};

logged_in log_in(std::uint16_t port, const std::string& name, const std::string& password) {
  auto r = login(port, name, password);
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  auto set_cookie = r.header("set-cookie");
  REQUIRE_THAT(set_cookie, Catch::StartsWith("session="));
  return {r.json()["token"].get<std::string>(), set_cookie.substr(8, set_cookie.find(';') - 8)};
}

header_list bearer(const std::string& jwt) {
  return {{"Authorization", "Bearer " + jwt}};
}

header_list cookie(const std::string& token) {
  return {{"Cookie", "theme=dark; session=" + token}};
}

http_response me(std::uint16_t port, const header_list& credentials) {
  return http_get(port, "/api/v1/users/me", credentials);
}

} // namespace

TEST_CASE("a user registers, and another registration with the same login is refused with 409", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  wait_for_identity(node);

  auto r = register_user(node.port(), "alice", "correct horse battery");
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto u = r.json();
  CHECK(u["id"].get<std::string>().size() == 36);
  CHECK(u["login"] == "alice");
  CHECK(u["first_name"] == "First alice");
  CHECK(u["last_name"] == "Last alice");
  CHECK(u["email"] == "alice@example.test");
  CHECK(u["role"] == "user");
  CHECK(u["client_id"].is_null());
  CHECK(u["created_at"].is_string());
  CHECK_FALSE(u.contains("password"));
  CHECK_FALSE(u.contains("password_hash"));
  CHECK_THAT(r.body, !Catch::Contains("argon2") && !Catch::Contains("correct horse"));

  check_json_error(register_user(node.port(), "alice", "another password"), 409, "alice");
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM users") == "1");

  check_json_error(register_user(node.port(), "al", "correct horse battery"), 400, "login");
  check_json_error(register_user(node.port(), "bob", "short"), 400, "password");
  check_json_error(http_post(node.port(), "/api/v1/auth/register", R"({"login":"bob","password":"long enough"})"), 400,
                   "first_name");
  check_json_error(http_post(node.port(), "/api/v1/auth/register",
                             R"({"login":"bob","password":"long enough","first_name":"B","last_name":"B",)"
                             R"("email":"bob.example.test"})"),
                   400, "email");
  check_json_error(http_post(node.port(), "/api/v1/auth/register",
                             R"({"login":"bob","password":"long enough","first_name":"B","last_name":"B",)"
                             R"("email":"b@b","role":"admin"})"),
                   400, "role");
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM users") == "1");
}

TEST_CASE("login sets an HttpOnly session cookie and returns a bearer token, and each identifies the user",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn(), {"--identity.session_ttl=2h"});
  wait_for_identity(node);
  const std::string password = "s3cret pass phrase";
  auto id = new_user(node.port(), "carol", password);

  auto r = login(node.port(), "carol", password);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto body = r.json();
  CHECK(body["token_type"] == "Bearer");
  auto jwt = body["token"].get<std::string>();
  CHECK(std::count(jwt.begin(), jwt.end(), '.') == 2);
  CHECK(body["expires_at"].is_string());
  CHECK(body["user"]["id"] == id);
  CHECK(body["user"]["login"] == "carol");
  auto set_cookie = r.header("set-cookie");
  CHECK_THAT(set_cookie, Catch::StartsWith("session=") && Catch::Contains("; HttpOnly") &&
                           Catch::Contains("; Path=/") && Catch::Contains("; SameSite=Lax") &&
                           Catch::Contains("; Max-Age=7200"));
  auto token = set_cookie.substr(8, set_cookie.find(';') - 8);
  CHECK(token.size() == 43);
  CHECK_THAT(r.body, !Catch::Contains(token));

  auto by_cookie = me(node.port(), cookie(token));
  REQUIRE(by_cookie.status == 200);
  CHECK(by_cookie.json()["id"] == id);
  CHECK(by_cookie.json()["login"] == "carol");
  auto by_token = me(node.port(), bearer(jwt));
  REQUIRE(by_token.status == 200);
  CHECK(by_token.json() == by_cookie.json());

  // What the database keeps: an argon2id string, the session under the
  // SHA-256 of its token, and neither the password nor the token anywhere.
  CHECK_THAT(query_value(pg.dsn(), "SELECT password_hash FROM users WHERE login = 'carol'"),
             Catch::StartsWith("$argon2id$"));
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM sessions WHERE id = encode(sha256(convert_to(" +
                                sql_literal(token) + ", 'UTF8')), 'hex')") == "1");
  for (auto secret : {password, token})
    for (auto table : {"users", "sessions", "settings"}) {
      INFO(table);
      CHECK(query_value(pg.dsn(), std::string("SELECT count(*) FROM ") + table + " t WHERE position(" +
                                    sql_literal(secret) + " IN t::text) > 0") == "0");
    }
  CHECK_THAT(node.log(), !Catch::Contains(password));
}

TEST_CASE("a wrong password and an unknown login are refused with the same 401", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  wait_for_identity(node);
  new_user(node.port(), "dave", "the right password");

  auto wrong_password = login(node.port(), "dave", "the wrong password");
  auto unknown_login = login(node.port(), "nobody", "the right password");
  check_json_error(wrong_password, 401, "wrong login or password");
  CHECK(unknown_login.status == wrong_password.status);
  CHECK(unknown_login.body == wrong_password.body);
  CHECK_FALSE(wrong_password.has_header("set-cookie"));
  CHECK_FALSE(unknown_login.has_header("set-cookie"));
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM sessions") == "0");
}

TEST_CASE("requests without credentials, with a tampered or foreign token, or an unknown cookie get 401",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  wait_for_identity(node);
  new_user(node.port(), "erin", "erin's password");
  auto session = log_in(node.port(), "erin", "erin's password");
  REQUIRE(me(node.port(), bearer(session.jwt)).status == 200);

  auto none = me(node.port(), {});
  check_json_error(none, 401, "credentials");
  CHECK(none.header("www-authenticate") == "Bearer");

  // The same claims made admin, under the original signature.
  auto first = session.jwt.find('.');
  auto second = session.jwt.find('.', first + 1);
  auto claims = json::parse(*crypto::from_base64url(session.jwt.substr(first + 1, second - first - 1)));
  claims["role"] = "admin";
  auto tampered = session.jwt.substr(0, first + 1) + crypto::base64url(claims.dump()) + session.jwt.substr(second);
  // Signed with a secret of the attacker's own.
  auto input = session.jwt.substr(0, first + 1) + crypto::base64url(claims.dump());
  auto foreign = input + "." + crypto::base64url(crypto::hmac_sha256("guessed secret", input));
  for (auto& token : {tampered, foreign, std::string("not.a.token"), session.jwt + "x"}) {
    INFO(token);
    auto r = me(node.port(), bearer(token));
    check_json_error(r, 401, "token");
    CHECK_THAT(r.header("www-authenticate"), Catch::StartsWith("Bearer"));
  }
  check_json_error(me(node.port(), cookie(crypto::random_token(32))), 401, "session");
  // The real credentials still work.
  CHECK(me(node.port(), cookie(session.cookie)).status == 200);
}

TEST_CASE("a profile is shown to its owner and to admins only", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn(), {"--identity.admins=root"});
  wait_for_identity(node);
  auto alice = new_user(node.port(), "alice", "alice's password");
  auto bob = new_user(node.port(), "bob", "bob's password!");
  auto root_registered = register_user(node.port(), "root", "root's password");
  REQUIRE(root_registered.status == 201);
  CHECK(root_registered.json()["role"] == "admin");
  auto as_alice = bearer(log_in(node.port(), "alice", "alice's password").jwt);
  auto as_root = bearer(log_in(node.port(), "root", "root's password").jwt);

  auto own = http_get(node.port(), "/api/v1/users/" + alice, as_alice);
  REQUIRE(own.status == 200);
  CHECK(own.json()["login"] == "alice");
  check_json_error(http_get(node.port(), "/api/v1/users/" + bob, as_alice), 403, "profile");
  // An unknown id is forbidden too: a user learns nothing of other ids.
  check_json_error(http_get(node.port(), "/api/v1/users/00000000-0000-0000-0000-000000000000", as_alice), 403,
                   "profile");
  check_json_error(http_get(node.port(), "/api/v1/users/" + bob), 401, "credentials");

  auto seen_by_admin = http_get(node.port(), "/api/v1/users/" + bob, as_root);
  REQUIRE(seen_by_admin.status == 200);
  CHECK(seen_by_admin.json()["login"] == "bob");
  check_json_error(http_get(node.port(), "/api/v1/users/00000000-0000-0000-0000-000000000000", as_root), 404,
                   "00000000-0000-0000-0000-000000000000");
}

TEST_CASE("logout ends the session for its cookie and its bearer token at once, and no other session",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  wait_for_identity(node);
  new_user(node.port(), "frank", "frank's password");
  auto leaving = log_in(node.port(), "frank", "frank's password");
  auto staying = log_in(node.port(), "frank", "frank's password");
  REQUIRE(me(node.port(), cookie(leaving.cookie)).status == 200);
  REQUIRE(me(node.port(), bearer(leaving.jwt)).status == 200);

  auto out = http_post(node.port(), "/api/v1/auth/logout", "", cookie(leaving.cookie));
  INFO(out.body);
  REQUIRE(out.status == 204);
  CHECK_THAT(out.header("set-cookie"), Catch::StartsWith("session=;") && Catch::Contains("Max-Age=0"));

  check_json_error(me(node.port(), cookie(leaving.cookie)), 401, "session");
  check_json_error(me(node.port(), bearer(leaving.jwt)), 401, "session");
  check_json_error(http_post(node.port(), "/api/v1/auth/logout", "", bearer(leaving.jwt)), 401, "session");
  CHECK(me(node.port(), cookie(staying.cookie)).status == 200);
  CHECK(me(node.port(), bearer(staying.jwt)).status == 200);
}

// Nodes keep the sessions they have read: another node's logout, and a
// change made in the database, must still reach them.
TEST_CASE("a node that knows a session forgets it when another node logs it out or the database changes its user",
          "[integration]") {
  pg_instance pg;
  cluster_options two;
  two.nodes = 2;
  test_cluster cluster(pg.dsn(), two);
  wait_for_identity(cluster.node(0));
  wait_for_identity(cluster.node(1));
  auto here = cluster.port(0), there = cluster.port(1);
  new_user(here, "grace", "grace's password");
  auto other = new_user(here, "heidi", "heidi's password");
  auto leaving = log_in(here, "grace", "grace's password");
  auto staying = log_in(here, "grace", "grace's password");
  REQUIRE(me(there, cookie(leaving.cookie)).status == 200);
  REQUIRE(me(there, bearer(leaving.jwt)).status == 200);
  check_json_error(http_get(there, "/api/v1/users/" + other, bearer(staying.jwt)), 403, "profile");

  REQUIRE(http_post(here, "/api/v1/auth/logout", "", cookie(leaving.cookie)).status == 204);
  CHECK(wait_until([&] { return me(there, cookie(leaving.cookie)).status == 401; }, 20s));
  check_json_error(me(there, bearer(leaving.jwt)), 401, "session");
  CHECK(me(there, bearer(staying.jwt)).status == 200);

  query(pg.dsn(), "UPDATE users SET role = 'admin' WHERE login = 'grace'");
  CHECK(wait_until([&] { return http_get(there, "/api/v1/users/" + other, bearer(staying.jwt)).status == 200; }, 20s));
}

TEST_CASE("a password change needs the old password, and then only the new one logs in", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  wait_for_identity(node);
  new_user(node.port(), "grace", "the old password");
  auto changing = log_in(node.port(), "grace", "the old password");
  auto elsewhere = log_in(node.port(), "grace", "the old password");
  auto change = [&](const std::string& old_password, const std::string& new_password) {
    return http_post(node.port(), "/api/v1/auth/password",
                     json{{"old_password", old_password}, {"new_password", new_password}}.dump(),
                     bearer(changing.jwt));
  };
  auto hash_before = query_value(pg.dsn(), "SELECT password_hash FROM users");

  check_json_error(change("not the old password", "the new password"), 401, "old_password");
  check_json_error(change("the old password", "short"), 400, "new_password");
  check_json_error(http_post(node.port(), "/api/v1/auth/password",
                             json{{"old_password", "the old password"}, {"new_password", "the new password"}}.dump()),
                   401, "credentials");
  CHECK(query_value(pg.dsn(), "SELECT password_hash FROM users") == hash_before);
  CHECK(login(node.port(), "grace", "the old password").status == 200);

  auto changed = change("the old password", "the new password");
  INFO(changed.body);
  REQUIRE(changed.status == 204);
  auto hash_after = query_value(pg.dsn(), "SELECT password_hash FROM users");
  CHECK(hash_after != hash_before);
  CHECK_THAT(hash_after, Catch::StartsWith("$argon2id$"));

  check_json_error(login(node.port(), "grace", "the old password"), 401, "wrong login or password");
  CHECK(login(node.port(), "grace", "the new password").status == 200);
  // The session that changed it goes on; the others have ended.
  CHECK(me(node.port(), bearer(changing.jwt)).status == 200);
  CHECK(me(node.port(), cookie(elsewhere.cookie)).status == 401);
  CHECK_THAT(node.log(), !Catch::Contains("the new password") && !Catch::Contains("the old password"));
}

TEST_CASE("a registration and a password change sent again with their Idempotency-Key get their first answer, and "
          "the key table holds no trace of a password",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  wait_for_identity(node);
  auto registration = [](const std::string& login, const std::string& password) {
    return json{{"login", login},
                {"password", password},
                {"first_name", "Ada"},
                {"last_name", "Lovelace"},
                {"email", "ada@example.test"}}
      .dump();
  };
  header_list key{{"Idempotency-Key", "register-ada"}};
  auto first = http_post(node.port(), "/api/v1/auth/register", registration("ada", "analytical engine"), key);
  INFO(first.status << " " << first.body << first.error);
  REQUIRE(first.status == 201);
  for (auto password : {"analytical engine", "a password never compared"}) {
    auto again = http_post(node.port(), "/api/v1/auth/register", registration("ada", password), key);
    INFO(again.status << " " << again.body << again.error);
    CHECK(again.status == 201);
    CHECK(again.body == first.body);
    CHECK(again.header("Idempotent-Replayed") == "true");
  }
  check_json_error(http_post(node.port(), "/api/v1/auth/register", registration("lovelace", "analytical engine"), key),
                   422, "Idempotency-Key");
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM users") == "1");
  CHECK(login(node.port(), "ada", "analytical engine").status == 200);

  auto session = bearer(log_in(node.port(), "ada", "analytical engine").jwt);
  auto change = [&](const std::string& key) {
    auto h = session;
    h.emplace_back("Idempotency-Key", key);
    return http_post(node.port(), "/api/v1/auth/password",
                     json{{"old_password", "analytical engine"}, {"new_password", "difference engine"}}.dump(), h);
  };
  REQUIRE(change("change-1").status == 204);
  auto again = change("change-1");
  CHECK(again.status == 204);
  CHECK(again.header("Idempotent-Replayed") == "true");
  // Without its key the repeat is a new change, whose old password is gone.
  check_json_error(change("change-2"), 401, "old_password");
  CHECK(login(node.port(), "ada", "difference engine").status == 200);

  // Neither the password in clear nor a plain hash of a body that held one.
  auto hex = [](const std::string& bytes) {
    std::string out;
    for (unsigned char b : bytes)
      out += {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
    return out;
  };
  auto keys = query(pg.dsn(), "SELECT encode(fingerprint, 'hex'), coalesce(encode(body, 'escape'), '') FROM"
                              " idempotency_keys");
  REQUIRE(keys.size() == 3);
  for (auto& row : keys) {
    CHECK_THAT(row[1], !Catch::Contains("engine"));
    for (auto body : {registration("ada", "analytical engine"),
                      json{{"old_password", "analytical engine"}, {"new_password", "difference engine"}}.dump()})
      for (auto path : {"/api/v1/auth/register", "/api/v1/auth/password"})
        CHECK(row[0] != hex(troupe::http::idempotency_rules::fingerprint("POST", path, "", body)));
  }
}
