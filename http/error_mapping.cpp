#include "http/error_mapping.hpp"

#include <nlohmann/json.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include "runtime/errors.hpp"

namespace troupe::http {

response error_response(unsigned status, const std::string& slug, const std::string& message) {
  response r;
  r.status = status;
  r.body = nlohmann::json{{"code", status}, {"error", slug}, {"message", message}}.dump();
  if (status == 503 || status == 429)
    r.headers.emplace_back("Retry-After", "1");
  return r;
}

response from_error(const caf::error& err) {
  struct row {
    errc code;
    unsigned status;
    const char* slug;
    const char* fixed_message; // nullptr: the error's own message is safe to show
  };
  static const row table[] = {
    {errc::invalid_argument, 400, "invalid_argument", nullptr},
    {errc::not_found, 404, "not_found", nullptr},
    {errc::conflict, 409, "conflict", nullptr},
    {errc::unavailable, 503, "unavailable", "a dependency is unavailable, retry later"},
    {errc::overloaded, 503, "overloaded", "too busy, retry later"},
    {errc::timeout, 503, "timeout", "timed out, retry later"},
    {errc::internal, 500, "internal", "internal error"},
    {errc::restart_budget_exhausted, 503, "unavailable", "the service is restarting, retry later"},
    {errc::unauthenticated, 401, "unauthenticated", nullptr},
    {errc::forbidden, 403, "forbidden", nullptr},
    {errc::insufficient_funds, 422, "insufficient_funds", nullptr},
    {errc::request_in_progress, 409, "request_in_progress", nullptr},
    {errc::idempotency_key_reused, 422, "idempotency_key_reused", nullptr},
    {errc::lease_lost, 503, "unavailable", "the entity is moving to another node, retry"},
  };
  if (err.category() == error_category) {
    for (auto& r : table)
      if (is(err, r.code)) {
        if (r.status >= 500)
          spdlog::warn("request failed: {}", error_message(err));
        return error_response(r.status, r.slug, r.fixed_message ? r.fixed_message : error_message(err));
      }
  }
  if (err == caf::sec::request_timeout)
    return error_response(503, "timeout", "timed out, retry later");
  spdlog::error("request failed: {}", caf::to_string(err));
  return error_response(503, "unavailable", "the service is unavailable, retry later");
}

} // namespace troupe::http
