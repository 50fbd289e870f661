#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "persistence/idempotency_store.hpp"

// What a request with an idempotency key gets, from what its key held: the
// rules of http/idempotency.hpp, without SQL or I/O.
namespace troupe::http::idempotency_rules {

using persistence::idempotency_store::key_state;

enum class decision {
  run,         // the request runs, holding the key
  replay,      // the kept answer goes out again
  in_progress, // 409: the first request with the key is still running
  reused,      // 422: the key was used with a different request
};

// `same_request`: the key was first used with this method, path, query and body.
decision decide(key_state found, bool same_request);

// Whether an answer is kept for replay: 2xx, 3xx and 4xx are; answers a
// retry may change are not (5xx, 408, 409, 425, 429), so that a retry after
// a transient failure runs again.
bool keep(unsigned status);

// 1 to 255 printable ASCII characters (space to tilde).
bool valid_key(std::string_view key);

// What makes two requests with a key the same one: SHA-256 (32 bytes) of
// the method, path, query and body, each but the body followed by a NUL,
// which none of them can hold.
std::string fingerprint(std::string_view method, std::string_view path, std::string_view query,
                        std::string_view body);

// The body to fingerprint when it carries secrets (passwords) in top-level
// fields of a JSON object: the body without them, as a fast unsalted hash
// of a password kept for a day would undo its argon2id hash. A body that is
// not a JSON object is refused before anything runs, and fingerprints as
// one placeholder, so no secret in it reaches the hash either.
std::string without_secrets(std::string_view body, const std::vector<std::string>& fields);

} // namespace troupe::http::idempotency_rules
