#include "actors/identity/password.hpp"

#include <chrono>
#include <future>

#include <catch2/catch.hpp>

#include "runtime/errors.hpp"

using namespace troupe;
using namespace troupe::identity;
using namespace std::chrono_literals;

namespace {

// The hasher answers on its own threads; the test waits for the answer
// with a deadline.
template <class T>
struct answer {
  std::promise<caf::expected<T>> promise;
  std::future<caf::expected<T>> future = promise.get_future();

  std::function<void(caf::expected<T>)> callback() {
    return [this](caf::expected<T> r) { promise.set_value(std::move(r)); };
  }
  caf::expected<T> get() {
    REQUIRE(future.wait_for(30s) == std::future_status::ready);
    return future.get();
  }
};

std::string hash_of(password_hasher& hasher, const std::string& password) {
  answer<std::string> a;
  hasher.hash(password, a.callback());
  auto h = a.get();
  REQUIRE(h);
  return *h;
}

bool verifies(password_hasher& hasher, const std::string& password, const std::string& hash) {
  answer<bool> a;
  hasher.verify(password, hash, a.callback());
  auto ok = a.get();
  REQUIRE(ok);
  return *ok;
}

} // namespace

TEST_CASE("a hash verifies its password and no other", "[identity]") {
  password_hasher hasher(2, 16);
  auto h = hash_of(hasher, "correct horse battery staple");
  CHECK(verifies(hasher, "correct horse battery staple", h));
  CHECK_FALSE(verifies(hasher, "correct horse battery stapler", h));
  CHECK_FALSE(verifies(hasher, "", h));
}

TEST_CASE("a hash is an argon2id string that never contains the password", "[identity]") {
  password_hasher hasher(1, 16);
  auto h = hash_of(hasher, "hunter2hunter2");
  CHECK_THAT(h, Catch::StartsWith("$argon2id$"));
  CHECK_THAT(h, !Catch::Contains("hunter2"));
  CHECK(is_argon2id_hash(h));
}

TEST_CASE("two hashes of one password differ, and both verify it", "[identity]") {
  password_hasher hasher(2, 16);
  auto a = hash_of(hasher, "same password");
  auto b = hash_of(hasher, "same password");
  CHECK(a != b);
  CHECK(verifies(hasher, "same password", a));
  CHECK(verifies(hasher, "same password", b));
}

TEST_CASE("an unknown login's empty hash never verifies, whatever the password", "[identity]") {
  password_hasher hasher(1, 16);
  CHECK_FALSE(verifies(hasher, "any password at all", ""));
  CHECK_FALSE(verifies(hasher, "", ""));
}

TEST_CASE("only argon2id strings pass for stored hashes", "[identity]") {
  CHECK_FALSE(is_argon2id_hash(""));
  CHECK_FALSE(is_argon2id_hash("a clear password"));
  CHECK_FALSE(is_argon2id_hash("$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$aGFzaA"));
  CHECK_FALSE(is_argon2id_hash("$argon2id$garbage"));
}

TEST_CASE("hashes beyond the queue limit are refused at once as overloaded", "[identity]") {
  password_hasher hasher(1, 2);
  // The one thread is held inside a callback until the end of the test, so
  // that the queue holds exactly what is submitted next.
  std::promise<void> held, release;
  auto released = release.get_future().share();
  // Lets the thread go even when an assertion ends the test early; the
  // hasher could not join it otherwise.
  struct releaser {
    std::promise<void>& p;
    ~releaser() {
      try {
        p.set_value();
      } catch (const std::future_error&) {
      }
    }
  } guard{release};
  hasher.hash("first password", [&held, released](caf::expected<std::string>) {
    held.set_value();
    released.wait();
  });
  REQUIRE(held.get_future().wait_for(30s) == std::future_status::ready);
  std::vector<std::unique_ptr<answer<std::string>>> answers;
  for (int i = 0; i < 4; ++i) {
    answers.push_back(std::make_unique<answer<std::string>>());
    hasher.hash("password " + std::to_string(i), answers.back()->callback());
  }
  for (int i = 2; i < 4; ++i) {
    auto refused = answers[i]->get();
    REQUIRE_FALSE(refused);
    CHECK(is(refused.error(), errc::overloaded));
  }
  release.set_value();
  for (int i = 0; i < 2; ++i)
    CHECK(answers[i]->get());
}
