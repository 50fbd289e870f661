#include "http/idempotency_rules.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace troupe::http::idempotency_rules;

TEST_CASE("a new key runs the request") {
  CHECK(decide(key_state::absent, true) == decision::run);
}

TEST_CASE("an expired key is as good as new, whatever request first used it") {
  CHECK(decide(key_state::expired, true) == decision::run);
  CHECK(decide(key_state::expired, false) == decision::run);
}

TEST_CASE("a repeat of an answered request replays the answer") {
  CHECK(decide(key_state::done, true) == decision::replay);
}

TEST_CASE("a repeat while the first request still runs under a live lock is in progress") {
  CHECK(decide(key_state::running, true) == decision::in_progress);
}

TEST_CASE("a repeat of a request whose lock has passed takes the key over and runs again") {
  CHECK(decide(key_state::abandoned, true) == decision::run);
}

TEST_CASE("a different request with a key in use is a reused key, answered or not") {
  CHECK(decide(key_state::done, false) == decision::reused);
  CHECK(decide(key_state::running, false) == decision::reused);
  CHECK(decide(key_state::abandoned, false) == decision::reused);
}

TEST_CASE("successes, redirects and client errors are kept") {
  for (unsigned status : {200u, 201u, 204u, 303u, 400u, 401u, 403u, 404u, 413u, 422u})
    CHECK(keep(status));
}

TEST_CASE("server errors and answers a retry may change are not kept") {
  for (unsigned status : {500u, 502u, 503u, 504u, 408u, 409u, 425u, 429u})
    CHECK_FALSE(keep(status));
}

TEST_CASE("a key is 1 to 255 printable ASCII characters") {
  CHECK(valid_key("a"));
  CHECK(valid_key("8e03978e-40d5-43e8-bc93-6894a57f9324"));
  CHECK(valid_key(" !~"));
  CHECK(valid_key(std::string(255, 'k')));
  CHECK_FALSE(valid_key(""));
  CHECK_FALSE(valid_key(std::string(256, 'k')));
  CHECK_FALSE(valid_key("tab\there"));
  CHECK_FALSE(valid_key("caf\xc3\xa9"));
  CHECK_FALSE(valid_key(std::string("nul\0", 4)));
  CHECK_FALSE(valid_key("del\x7f"));
}

TEST_CASE("a fingerprint is the same for the same request and differs when any part of it does") {
  auto print = fingerprint("POST", "/api/v1/targets", "", R"({"name":"a"})");
  CHECK(print.size() == 32);
  CHECK(print == fingerprint("POST", "/api/v1/targets", "", R"({"name":"a"})"));
  CHECK(print != fingerprint("PUT", "/api/v1/targets", "", R"({"name":"a"})"));
  CHECK(print != fingerprint("POST", "/api/v1/targets/1", "", R"({"name":"a"})"));
  CHECK(print != fingerprint("POST", "/api/v1/targets", "dry_run=1", R"({"name":"a"})"));
  CHECK(print != fingerprint("POST", "/api/v1/targets", "", R"({"name":"b"})"));
}

TEST_CASE("bytes moved from one part of a request to the next give another fingerprint") {
  CHECK(fingerprint("POST", "/a", "b", "") != fingerprint("POST", "/ab", "", ""));
  CHECK(fingerprint("POST", "/a", "", "b") != fingerprint("POST", "/a", "b", ""));
}

TEST_CASE("a body's secrets are left out of what is fingerprinted, and only they are") {
  std::vector<std::string> secrets{"password", "new_password"};
  auto body = [](const char* login, const char* password) {
    return std::string(R"({"login":")") + login + R"(","password":")" + password + R"(","new_password":"x"})";
  };
  CHECK(without_secrets(body("ada", "first"), secrets) == without_secrets(body("ada", "second"), secrets));
  CHECK(without_secrets(body("ada", "first"), secrets) != without_secrets(body("bob", "first"), secrets));
  CHECK(without_secrets(body("ada", "first"), secrets).find("first") == std::string::npos);
  CHECK(without_secrets(body("ada", "first"), {}).find("first") != std::string::npos);
  // Not an object: nothing of it is kept, and it differs from any object.
  auto broken = without_secrets(R"({"password":"first",)", secrets);
  CHECK(broken.find("first") == std::string::npos);
  CHECK(broken == without_secrets(R"(["first"])", secrets));
  CHECK(broken != without_secrets("{}", secrets));
}
