#include "actors/identity/validation.hpp"

#include <catch2/catch.hpp>

#include "runtime/errors.hpp"

using namespace troupe;
using namespace troupe::identity;

namespace {

const new_user good{"alice", "Alice", "Liddell", "alice@example.test", "", ""};

// The field a refusal names: its message up to the colon.
std::string field_of(const caf::error& err) {
  REQUIRE(err);
  CHECK(is(err, errc::invalid_argument));
  auto m = error_message(err);
  return m.substr(0, m.find(':'));
}

} // namespace

TEST_CASE("a well-formed new user passes, in any script", "[identity]") {
  CHECK_FALSE(validate(good));
  auto u = good;
  u.login = "алиса";
  u.first_name = "Алиса";
  u.last_name = "Льюис-Кэрролл";
  u.role = "admin";
  u.created_by = "saga-1:register";
  CHECK_FALSE(validate(u));
}

TEST_CASE("a new user is refused naming the field at fault", "[identity]") {
  struct bad_case {
    const char* what;
    new_user u;
    const char* field;
  };
  auto with = [](auto change) {
    auto u = good;
    change(u);
    return u;
  };
  const bad_case cases[] = {
    {"a short login", with([](new_user& u) { u.login = "al"; }), "login"},
    {"a long login", with([](new_user& u) { u.login = std::string(65, 'a'); }), "login"},
    {"a login with a space", with([](new_user& u) { u.login = "al ice"; }), "login"},
    {"a login with a tab", with([](new_user& u) { u.login = "al\tice"; }), "login"},
    {"a login of invalid UTF-8", with([](new_user& u) { u.login = "al\xff" "ice"; }), "login"},
    {"an empty first name", with([](new_user& u) { u.first_name = ""; }), "first_name"},
    {"a blank first name", with([](new_user& u) { u.first_name = "   "; }), "first_name"},
    {"an empty last name", with([](new_user& u) { u.last_name = ""; }), "last_name"},
    {"a last name with NUL", with([](new_user& u) { u.last_name = std::string("Lid\0dell", 8); }), "last_name"},
    {"an email without @", with([](new_user& u) { u.email = "alice.example.test"; }), "email"},
    {"an email ending in @", with([](new_user& u) { u.email = "alice@"; }), "email"},
    {"an email starting with @", with([](new_user& u) { u.email = "@example.test"; }), "email"},
    {"an unknown role", with([](new_user& u) { u.role = "root"; }), "role"},
    {"a long created_by", with([](new_user& u) { u.created_by = std::string(201, 'k'); }), "created_by"},
  };
  for (auto& c : cases) {
    INFO(c.what);
    CHECK(field_of(validate(c.u)) == c.field);
  }
}

TEST_CASE("a login is counted in characters, not bytes", "[identity]") {
  auto u = good;
  u.login = "ééé"; // 6 bytes, 3 characters
  CHECK_FALSE(validate(u));
  u.login = "éé"; // 4 bytes, 2 characters
  CHECK(field_of(validate(u)) == "login");
  u.login = "";
  for (int i = 0; i < 64; ++i)
    u.login += "é";
  CHECK_FALSE(validate(u));
}

TEST_CASE("a password is 8 to 256 bytes of UTF-8", "[identity]") {
  CHECK_FALSE(validate_password("12345678"));
  CHECK_FALSE(validate_password(std::string(256, 'p')));
  CHECK(field_of(validate_password("1234567")) == "password");
  CHECK(field_of(validate_password(std::string(257, 'p'))) == "password");
  CHECK(field_of(validate_password("12345678\xc3", "new_password")) == "new_password");
}

TEST_CASE("UTF-8 is checked for overlong forms, surrogates and truncation", "[identity]") {
  CHECK(utf8_length("") == 0);
  CHECK(utf8_length("aé€😀") == 4);
  CHECK(utf8_length("\xc0\xaf") == -1);         // overlong '/'
  CHECK(utf8_length("\xed\xa0\x80") == -1);     // a UTF-16 surrogate
  CHECK(utf8_length("\xf4\x90\x80\x80") == -1); // past U+10FFFF
  CHECK(utf8_length("\xe2\x82") == -1);         // cut short
  CHECK(utf8_length("\x80") == -1);             // a lone continuation byte
  CHECK(utf8_length(std::string("a\0b", 3)) == -1);
}
