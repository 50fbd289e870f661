#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "persistence/group_commit.hpp"
#include "runtime/config.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
} // namespace pqxx

// SQL of the edge's idempotency keys (0007_idempotency.sql). Every function
// runs on a pg_pool worker; every time is PostgreSQL's. begin, complete and
// release write in a group_commit batch, shared among many requests, and
// deliver once its statements ran; its commit makes them count.
namespace troupe::persistence::idempotency_store {

// What a key held when a request came with it.
enum class key_state {
  absent,    // no row: a new key
  running,   // its first request is being processed, under a live lock
  abandoned, // running, but its lock has passed: the node running it died or hung
  done,      // answered, and the answer is kept
  expired,   // past expires_at, waiting for the purge: as good as absent
};

struct stored_response {
  unsigned status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct found_key {
  key_state state = key_state::absent;
  bool same_request = false; // the row's fingerprint is this request's
  stored_response response;  // when done
};

struct claim {
  found_key found;
  std::string attempt; // set when this request took the key: for complete() or release()
};

// With the key's row locked until the batch ends: reads what the key holds
// and, when `take(found)` says so, claims it for this request (running,
// locked for `lock_for`). Requests racing on a key serialise on its row, on
// this node or another, so at most one of them takes it.
void begin(group_commit::batch& b, const std::string& scope, const std::string& key, const std::string& fingerprint,
           milliseconds lock_for, milliseconds ttl, std::function<bool(const found_key&)> take,
           group_commit::deliver<claim> then);

// Keeps the answer of claim `attempt` for `ttl`; false when the claim was
// lost (its lock passed and another request took the key).
void complete(group_commit::batch& b, const std::string& scope, const std::string& key, const std::string& attempt,
              const stored_response& answer, milliseconds ttl, group_commit::deliver<bool> then);

// Gives the key up, so that a retry runs again; false when the claim was lost.
void release(group_commit::batch& b, const std::string& scope, const std::string& key, const std::string& attempt,
             group_commit::deliver<bool> then);

// Deletes up to `limit` expired keys; returns how many it deleted.
int purge_expired(pqxx::connection_base& c, int limit);

} // namespace troupe::persistence::idempotency_store
