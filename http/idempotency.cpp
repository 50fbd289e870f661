#include "http/idempotency.hpp"

#include "actors/identity/crypto.hpp"
#include "runtime/uuid.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>

#include <spdlog/spdlog.h>

#include "http/error_mapping.hpp"
#include "http/idempotency_rules.hpp"
#include "http/json_body.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/idempotency_store.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"

namespace troupe::http {
namespace {

namespace store = persistence::idempotency_store;
namespace rules = idempotency_rules;
using batch = persistence::group_commit::batch;
template <class T>
using deliver = persistence::group_commit::deliver<T>;

struct outcome_counters {
  prometheus::Counter* first;
  prometheus::Counter* replayed;
  prometheus::Counter* in_progress;
  prometheus::Counter* reused;
};

bool is_write(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The key and the header it came in; Idempotency-Key wins over X-Request-Id.
struct given_key {
  const char* header = nullptr; // nullptr: the request has neither
  std::string_view value;
};

given_key find_key(const request& req) {
  given_key found;
  for (auto& [name, value] : req.headers) {
    if (name == "idempotency-key")
      return {"Idempotency-Key", value};
    if (name == "x-request-id" && !found.header)
      found = {"X-Request-Id", value};
  }
  return found;
}

caf::error malformed(given_key key) {
  if (!key.header || rules::valid_key(key.value))
    return {};
  return bad(std::string(key.header) + ": expected 1 to 255 printable ASCII characters");
}

bool equals_lower(std::string_view name, std::string_view lower_case) {
  return name.size() == lower_case.size() &&
         std::equal(name.begin(), name.end(), lower_case.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// The answer as it is kept: the headers a replay must repeat (a session
// cookie, where the created thing is), none of the others.
store::stored_response to_stored(const response& res) {
  store::stored_response out{res.status, res.content_type, {}, res.body};
  for (auto& [name, value] : res.headers)
    if (equals_lower(name, "set-cookie") || equals_lower(name, "location"))
      out.headers.emplace_back(name, value);
  return out;
}

response replayed(store::stored_response kept) {
  response res{kept.status, std::move(kept.body), std::move(kept.content_type), std::move(kept.headers)};
  res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

// Whom a running request's key belongs to, until its answer is stored.
struct holder {
  std::string scope;
  std::string key;
  std::string attempt;
};

// The responder a request that holds its key runs with: it stores the
// answer (or releases the key) before the client gets it, so that no replay
// can differ from what the client saw. Should the store fail, the client
// gets that failure instead, a 503 a retry can clear.
respond_fn finisher(const edge_services& s, std::shared_ptr<const holder> h, respond_fn respond) {
  // Once only, even for a handler that answered and then threw.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  return [s, h, respond, answered](response res) {
    if (answered->exchange(true))
      return;
    if (!rules::keep(res.status)) {
      s.writes->run<bool>(
        [h](batch& b, deliver<bool> then) { store::release(b, h->scope, h->key, h->attempt, std::move(then)); },
        [respond, res](caf::expected<bool>) {
          // Not released (PostgreSQL away): the key frees itself when its lock passes.
          respond(res);
        });
      return;
    }
    s.writes->run<bool>(
      [h, kept = to_stored(res),
       ttl = s.config->http.idempotency_ttl](batch& b, deliver<bool> then) {
        store::complete(b, h->scope, h->key, h->attempt, kept, ttl, std::move(then));
      },
      [respond, res](caf::expected<bool> stored) {
        if (stored && *stored)
          return respond(res);
        if (stored)
          spdlog::warn("idempotency key taken over before its answer was stored: the request ran past its lock");
        respond(from_error(stored ? make_error(errc::timeout, "the request ran past its idempotency lock")
                                  : stored.error()));
      });
  };
}

} // namespace

handler idempotent(const edge_services& s, handler inner, std::vector<std::string> secret_fields) {
  auto& family = s.metrics->idempotency_requests;
  outcome_counters counters{&family.Add({{"outcome", "first"}}), &family.Add({{"outcome", "replayed"}}),
                            &family.Add({{"outcome", "in_progress"}}), &family.Add({{"outcome", "reused"}})};
  return [s, inner = std::move(inner), counters, secret_fields = std::move(secret_fields)](const request& req,
                                                                                          respond_fn respond) {
    auto key = is_write(req.method) ? find_key(req) : given_key{};
    if (!key.header)
      return inner(req, std::move(respond));
    if (auto err = malformed(key))
      return respond(from_error(err));
    auto header = key.header;
    auto key_text = std::string(key.value);
    auto print = secret_fields.empty()
                   ? rules::fingerprint(req.method, req.path, req.query, req.body)
                   : rules::fingerprint(req.method, req.path, req.query, rules::without_secrets(req.body, secret_fields));
    // `req` stays valid until `respond` runs: the session keeps it for the
    // request in flight.
    s.writes->run<store::claim>(
      [scope = req.user_id, key = key_text, print = std::move(print),
       lock_for = 2 * s.config->http.request_timeout,
       ttl = s.config->http.idempotency_ttl](batch& b, deliver<store::claim> then) {
        store::begin(
          b, scope, key, print, lock_for, ttl,
          [](const store::found_key& f) { return rules::decide(f.state, f.same_request) == rules::decision::run; },
          std::move(then));
      },
      [s, &req, inner, respond, counters, header, key_text](caf::expected<store::claim> claim) {
        if (!claim)
          return respond(from_error(claim.error()));
        if (!claim->attempt.empty()) {
          counters.first->Increment();
          auto finish = finisher(s, std::make_shared<const holder>(holder{req.user_id, key_text, claim->attempt}),
                                 respond);
          // On a database worker: a handler only parses and sends one
          // request, and nothing it throws may reach the pool.
          try {
            inner(req, finish);
          } catch (const std::exception& e) {
            spdlog::error("{} {} threw: {}", req.method, req.path, e.what());
            finish(error_response(500, "internal", "internal error"));
          }
          return;
        }
        // Never `run` here: the store takes every key the rules run.
        auto decision = rules::decide(claim->found.state, claim->found.same_request);
        if (decision == rules::decision::replay) {
          counters.replayed->Increment();
          return respond(replayed(std::move(claim->found.response)));
        }
        if (decision == rules::decision::in_progress) {
          counters.in_progress->Increment();
          auto res = from_error(make_error(errc::request_in_progress, "the first request with this " +
                                                                        std::string(header) +
                                                                        " is still being processed, retry later"));
          res.headers.emplace_back("Retry-After", "1");
          return respond(std::move(res));
        }
        counters.reused->Increment();
        respond(from_error(
          make_error(errc::idempotency_key_reused, std::string(header) + ": already used with a different request")));
      });
  };
}

caf::error malformed_key(const request& req) {
  return malformed(find_key(req));
}

std::string id_for(const request& req) {
  auto key = req.header("idempotency-key");
  if (key.empty())
    key = req.header("x-request-id");
  if (key.empty())
    return new_uuid();
  // A UUID's shape, from the hash of caller and key.
  auto h = identity::crypto::sha256_hex(req.user_id + "\n" + std::string(key));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

} // namespace troupe::http
