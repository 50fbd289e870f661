#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

// Bearer tokens: JSON Web Tokens (RFC 7519) signed with HS256 (HMAC-SHA-256).
namespace troupe::identity::jwt {

struct claims {
  std::string sub;  // the user's id
  std::string sid;  // the session's id (hex): the token is good only while it lives
  std::string role; // "user" | "admin"
  std::string cid;  // the user's client id, empty when it has none
  std::int64_t iat = 0; // issued at, seconds since the epoch
  std::int64_t exp = 0; // expires at, seconds since the epoch
};

std::string sign(const claims& c, std::string_view secret);

// The claims of a token signed with `secret` whose header says HS256 and
// that has not expired at `now` (seconds since the epoch); any other token
// is errc::unauthenticated. Signatures are compared in constant time.
caf::expected<claims> verify(std::string_view token, std::string_view secret, std::int64_t now);

} // namespace troupe::identity::jwt
