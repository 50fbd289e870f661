#pragma once

#include <string>
#include <vector>

#include "http/message.hpp"
#include "http/routes.hpp"

namespace troupe::http {

// Idempotency keys (DESIGN.md §3 rule 5; the IETF draft "The
// Idempotency-Key HTTP Header Field"), wrapped around a route's handler:
//   r.add("POST", "/api/v1/things", idempotent(s, [s](const request& req, respond_fn respond) { ... }));
// A POST, PUT, PATCH or DELETE with `Idempotency-Key` (or, without it,
// `X-Request-Id`) runs once per caller (request.user_id, "" for anonymous
// callers) and key. Its answer is stored before the client gets it, and a
// repeat gets it again with `Idempotent-Replayed: true`; a repeat while the
// first still runs gets 409 with `Retry-After: 1`; the key with a different
// method, path, query or body gets 422. Answers a retry may change (5xx,
// 408, 409, 425, 429) are not stored: the key is released and a retry runs
// again. Other requests, and requests without either header, go straight
// to `inner`. Wrap it inside the auth wrapper, which sets user_id.
// `secret_fields`: top-level fields of the JSON body (passwords) left out of
// what is compared (idempotency_rules::without_secrets).
handler idempotent(const edge_services& s, handler inner, std::vector<std::string> secret_fields = {});

// 400 naming the header when the request's Idempotency-Key (or
// X-Request-Id) is not 1 to 255 printable ASCII characters; none otherwise,
// also without a key. For routes that take a key without `idempotent`.
caf::error malformed_key(const request& req);

// The id of what a write creates (an account, a saga, a ledger operation):
// derived from the caller and its Idempotency-Key (or X-Request-Id), so that
// a retry names the same thing even after the first attempt's node died
// mid-way (its stored answer then never came); a fresh UUID without a key.
std::string id_for(const request& req);

} // namespace troupe::http
