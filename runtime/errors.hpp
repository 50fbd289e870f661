#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe {

// The one project error enum. Actors return these as caf::error values;
// http/error_mapping.cpp is the one place that turns them into HTTP.
enum class errc : std::uint8_t {
  invalid_argument = 1, // the client sent something wrong; the message names the field
  not_found,
  conflict,
  unavailable, // a dependency (PostgreSQL) is down: retryable
  overloaded,  // a bounded queue is full: retryable
  timeout,     // retryable
  internal,
  restart_budget_exhausted,
  unauthenticated,          // no credentials, or wrong ones: the message never says which part
  forbidden,                // authenticated, but not allowed (another role, another user's data)
  insufficient_funds,       // a withdraw larger than the balance: refused, nothing changed
  request_in_progress,      // an idempotency key whose first request is still running
  idempotency_key_reused,   // an idempotency key sent again with a different request
  lease_lost,               // this node no longer holds the entity's shard: nothing written, retry
};

constexpr caf::atom_value error_category = caf::atom("troupe");

caf::error make_error(errc code, std::string message = {});

// The message given to make_error, or a description of a foreign error.
std::string error_message(const caf::error& err);

bool is(const caf::error& err, errc code);

std::string to_string(errc code);

} // namespace troupe
