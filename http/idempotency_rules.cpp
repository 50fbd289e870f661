#include "http/idempotency_rules.hpp"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sodium.h>

namespace troupe::http::idempotency_rules {

decision decide(key_state found, bool same_request) {
  switch (found) {
    case key_state::absent:
    case key_state::expired:
      return decision::run;
    case key_state::running:
      return same_request ? decision::in_progress : decision::reused;
    case key_state::abandoned:
      // Taken over only by a retry of the same request: a different one
      // would run in place of a request that may have taken effect.
      return same_request ? decision::run : decision::reused;
    case key_state::done:
      return same_request ? decision::replay : decision::reused;
  }
  return decision::reused;
}

bool keep(unsigned status) {
  return status < 500 && status != 408 && status != 409 && status != 425 && status != 429;
}

bool valid_key(std::string_view key) {
  return !key.empty() && key.size() <= 255 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string fingerprint(std::string_view method, std::string_view path, std::string_view query,
                        std::string_view body) {
  static const bool sodium_ready = sodium_init() >= 0;
  if (!sodium_ready)
    throw std::runtime_error("libsodium cannot be initialised");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  auto add = [&state](std::string_view bytes) {
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  };
  for (auto part : {method, path, query}) {
    add(part);
    add(std::string_view("", 1));
  }
  add(body);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string without_secrets(std::string_view body, const std::vector<std::string>& fields) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object())
    return std::string("\0not a JSON object", 18);
  for (auto& f : fields)
    j.erase(f);
  return j.dump();
}

} // namespace troupe::http::idempotency_rules
