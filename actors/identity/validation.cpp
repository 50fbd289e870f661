#include "actors/identity/validation.hpp"

#include "runtime/errors.hpp"

namespace troupe::identity {
namespace {

caf::error bad(const std::string& field, const std::string& what) {
  return make_error(errc::invalid_argument, field + ": " + what);
}

// A text field: valid UTF-8, from `min` to `max` characters.
caf::error check_text(const std::string& field, std::string_view s, long min, long max) {
  auto n = utf8_length(s);
  if (n < 0)
    return bad(field, "must be valid UTF-8 without NUL characters");
  if (n < min || n > max)
    return bad(field, "must be from " + std::to_string(min) + " to " + std::to_string(max) + " characters");
  if (s.find_first_not_of(" \t") == std::string_view::npos)
    return bad(field, "must not be blank");
  return {};
}

bool is_space_or_control(unsigned char c) {
  return c <= 0x20 || c == 0x7f;
}

} // namespace

long utf8_length(std::string_view s) {
  long n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c == 0 ? 0 : c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size())
      return -1;
    std::uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return -1;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return -1;
    i += len;
  }
  return n;
}

caf::error validate(const new_user& u) {
  if (auto err = check_text("login", u.login, 3, 64))
    return err;
  for (char c : u.login)
    if (is_space_or_control(static_cast<unsigned char>(c)))
      return bad("login", "must not contain spaces or control characters");
  if (auto err = check_text("first_name", u.first_name, 1, 100))
    return err;
  if (auto err = check_text("last_name", u.last_name, 1, 100))
    return err;
  if (auto err = check_text("email", u.email, 3, 254))
    return err;
  auto at = u.email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == u.email.size())
    return bad("email", "must look like name@domain");
  if (!u.role.empty() && u.role != "user" && u.role != "admin")
    return bad("role", "must be user or admin");
  if (u.created_by.size() > 200 || utf8_length(u.created_by) < 0)
    return bad("created_by", "must be at most 200 bytes of valid UTF-8");
  return {};
}

caf::error validate_password(std::string_view password, const std::string& field) {
  if (utf8_length(password) < 0)
    return bad(field, "must be valid UTF-8 without NUL characters");
  if (password.size() < 8 || password.size() > 256)
    return bad(field, "must be from 8 to 256 bytes");
  return {};
}

} // namespace troupe::identity
