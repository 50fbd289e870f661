#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// The libsodium primitives of identity, each initialising libsodium once
// before its first use.
namespace troupe::identity::crypto {

// sodium_init(), once per process; throws std::runtime_error when libsodium
// cannot start (no entropy source).
void init_sodium();

// RFC 4648 §5 base64url without padding, as JWTs and cookies use it.
std::string base64url(std::string_view bytes);
// Nothing for a character outside the alphabet, padding, or stray bits.
std::optional<std::string> from_base64url(std::string_view text);

// `n` random bytes, base64url: tokens and secrets.
std::string random_token(std::size_t n);

// Lower-case hex of SHA-256(`data`).
std::string sha256_hex(std::string_view data);

// HMAC-SHA-256 of `data` under `key` (any length, as RFC 2104 allows), raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Whether two strings of equal length are equal, in time that depends only
// on their length.
bool equal_in_constant_time(std::string_view a, std::string_view b);

} // namespace troupe::identity::crypto
