#include "runtime/errors.hpp"

#include <caf/make_message.hpp>

namespace troupe {

caf::error make_error(errc code, std::string message) {
  return {static_cast<std::uint8_t>(code), error_category, caf::make_message(std::move(message))};
}

std::string error_message(const caf::error& err) {
  if (err.category() == error_category && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

bool is(const caf::error& err, errc code) {
  return err.category() == error_category && err.code() == static_cast<std::uint8_t>(code);
}

std::string to_string(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::unavailable: return "unavailable";
    case errc::overloaded: return "overloaded";
    case errc::timeout: return "timeout";
    case errc::internal: return "internal";
    case errc::restart_budget_exhausted: return "restart_budget_exhausted";
    case errc::unauthenticated: return "unauthenticated";
    case errc::forbidden: return "forbidden";
    case errc::insufficient_funds: return "insufficient_funds";
    case errc::request_in_progress: return "request_in_progress";
    case errc::idempotency_key_reused: return "idempotency_key_reused";
    case errc::lease_lost: return "lease_lost";
  }
  return "unknown";
}

} // namespace troupe
