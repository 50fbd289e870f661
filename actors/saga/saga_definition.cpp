#include "actors/saga/saga_definition.hpp"

#include <caf/error.hpp>

#include "runtime/errors.hpp"

namespace troupe::saga {

std::vector<step_shape> saga_definition::shape() const {
  std::vector<step_shape> out;
  for (auto& s : steps)
    out.push_back({s.name, static_cast<bool>(s.compensation), s.pivot});
  return out;
}

step_reply reply_to(const caf::error& err) {
  auto business = err.category() == error_category &&
                  !(is(err, errc::unavailable) || is(err, errc::timeout) || is(err, errc::overloaded) ||
                    is(err, errc::internal) || is(err, errc::restart_budget_exhausted) ||
                    is(err, errc::request_in_progress) || is(err, errc::lease_lost));
  return {business ? step_result::failed : step_result::retry, error_message(err), nlohmann::json::object()};
}

} // namespace troupe::saga
